/**
 * SPEC 3.0 ownership, table-driven: VIPs, hosts, wildcards and catch-alls
 * belong to the namespace of their oldest holder; sharing needs the owner's
 * `harbormaster.io/share-with`. Each attack from the tenant-isolation review
 * is a case; every case also goes through the HTTP admission app and through
 * `review`, which must agree.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import request from 'supertest';
import { createAdmissionApp } from '../../src/admission/http.js';
import { evaluate } from '../../src/admission/engine.js';
import { PolicyRegistry } from '../../src/admission/registry.js';
import type { KubeObject, Operation } from '../../src/kube/types.js';
import { storeFromObjects } from '../../src/cluster/static.js';
import { loadConfigFile } from '../../src/config/load.js';
import type { PolicyConfig } from '../../src/config/types.js';
import { silentLogger } from '../../src/observability/log.js';
import { DEFAULT_POLICY_FILE } from '../../src/paths.js';
import { builtinPolicies } from '../../src/policies/index.js';
import { findHostConflicts } from '../../src/policies/ingress/conflicts.js';
import { PathSet } from '../../src/policies/ingress/path-overlap.js';
import { regexLiteralPrefix } from '../../src/policies/ingress/paths.js';
import { ingressValidate } from '../../src/policies/ingress/validate.js';
import { loadBalancerValidate } from '../../src/policies/loadbalancer/validate.js';
import { reviewObject } from '../../src/review/review.js';
import { admissionRequest, reviewBody } from '../support/review.js';

const loaded = loadConfigFile(DEFAULT_POLICY_FILE);
if (!loaded.ok) throw new Error('policy');
const config: PolicyConfig = {
  ...loaded.config,
  loadBalancer: {
    vipPools: [
      { name: 'public', cidrs: ['203.0.113.0/24'] },
      { name: 'reserved', cidrs: ['198.51.100.128/25'], namespaces: ['payments'] },
    ],
    externalIPNamespaces: [],
  },
  ingress: { ...loaded.config.ingress, catchAllNamespaces: ['edge', 'edge-2'] },
};

const T1 = '2026-01-01T00:00:00Z';
const T2 = '2026-02-01T00:00:00Z';
const T3 = '2026-03-01T00:00:00Z';

type Path = { path?: string; pathType?: string };
interface IngOpts {
  namespace?: string;
  created?: string;
  annotations?: Record<string, string>;
  rules?: Array<{ host?: string; paths?: Path[]; noHttp?: boolean }>;
  defaultBackend?: boolean;
  className?: string;
}
function ing(name: string, o: IngOpts = {}): KubeObject {
  const rules = (o.rules ?? []).map((r) => ({
    ...(r.host !== undefined ? { host: r.host } : {}),
    ...(r.noHttp
      ? {}
      : {
          http: { paths: (r.paths ?? [{ path: '/', pathType: 'Prefix' }]).map((p) => ({ ...p, backend: { service: { name: 'web', port: { number: 80 } } } })) },
        }),
  }));
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: {
      name,
      annotations: o.annotations ?? {},
      ...(o.namespace ? { namespace: o.namespace } : {}),
      ...(o.created ? { creationTimestamp: o.created } : {}),
    },
    spec: {
      ingressClassName: o.className ?? 'harbormaster',
      rules,
      ...(o.defaultBackend ? { defaultBackend: { service: { name: 'web', port: { number: 80 } } } } : {}),
    },
  };
}
function svc(
  name: string,
  o: {
    namespace?: string;
    created?: string;
    annotations?: Record<string, string>;
    ports?: Array<{ port: number; protocol: string }>;
    statusIP?: string;
    loadBalancerIP?: string;
  } = {},
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name,
      annotations: o.annotations ?? {},
      ...(o.namespace ? { namespace: o.namespace } : {}),
      ...(o.created ? { creationTimestamp: o.created } : {}),
    },
    spec: { type: 'LoadBalancer', ports: o.ports ?? [{ port: 443, protocol: 'TCP' }], ...(o.loadBalancerIP ? { loadBalancerIP: o.loadBalancerIP } : {}) },
    ...(o.statusIP ? { status: { loadBalancer: { ingress: [{ ip: o.statusIP }] } } } : {}),
  };
}
const host = (h: string, paths?: Path[]) => ({ host: h, ...(paths ? { paths } : {}) });
const VIP = 'lb.harbormaster.io/vip';
const KEY = 'lb.harbormaster.io/shared-vip-key';
const SHARE = 'harbormaster.io/share-with';
const STATIC = 'ingress.harbormaster.io/static-vip';

const state: KubeObject[] = [
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a' } },
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-b' } },
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'risky', annotations: { 'harbormaster.io/ingress-risk': 'high' } } },
  // team-a's traffic
  svc('web', { namespace: 'team-a', created: T1, annotations: { [VIP]: '203.0.113.10', [KEY]: 'shop' } }),
  svc('assigned', { namespace: 'team-a', created: T1, statusIP: '203.0.113.50' }),
  svc('friendly', { namespace: 'team-a', created: T1, annotations: { [VIP]: '203.0.113.60', [KEY]: 'k', [SHARE]: 'team-b' } }),
  ing('gw', { namespace: 'team-a', created: T1, annotations: { [STATIC]: '203.0.113.70' }, rules: [host('gw.example.com')] }),
  ing('shop', { namespace: 'team-a', created: T1, rules: [host('shop.example.com', [{ path: '/', pathType: 'Prefix' }])] }),
  ing('apps', { namespace: 'team-a', created: T1, rules: [host('*.apps.example.com')] }),
  ing('www', { namespace: 'team-a', created: T1, rules: [host('www.example.com')] }),
  ing('shared', {
    namespace: 'team-a',
    created: T1,
    annotations: { [SHARE]: 'team-b, risky' },
    rules: [
      host('shared.example.com', [
        { path: '/api', pathType: 'Prefix' },
        { path: '/login', pathType: 'Exact' },
      ]),
    ],
  }),
  ing('wild-shared', { namespace: 'team-a', created: T1, annotations: { [SHARE]: 'team-b' }, rules: [host('*.open.example.com')] }),
  ing('catch', { namespace: 'edge', created: T1, rules: [{ paths: [{ path: '/', pathType: 'Prefix' }] }] }),
  // team-b was first on new.example.com
  ing('new', { namespace: 'team-b', created: T2, rules: [host('new.example.com')] }),
];

const registry = new PolicyRegistry(builtinPolicies());
const cluster = storeFromObjects(state);

interface Case {
  name: string;
  obj: KubeObject;
  namespace: string;
  operation?: Operation;
  oldObject?: KubeObject;
  deny: RegExp[];
}
const cases: Case[] = [
  // VIPs
  {
    name: "a Service takes another namespace's VIP by copying its shared-vip-key",
    namespace: 'team-b',
    obj: svc('copy', { annotations: { [VIP]: '203.0.113.10', [KEY]: 'shop' }, ports: [{ port: 80, protocol: 'TCP' }] }),
    deny: [
      /\[loadbalancer\.vip-owner\] metadata\.annotations\["lb\.harbormaster\.io\/vip"\] "203\.0\.113\.10" belongs to namespace team-a \(Service team-a\/web holds it, created 2026-01-01T00:00:00Z\); another namespace may use it only with the owner's consent: harbormaster\.io\/share-with: "team-b" on Service team-a\/web/,
    ],
  },
  {
    name: 'the same namespace shares with the same key',
    namespace: 'team-a',
    obj: svc('sibling', { annotations: { [VIP]: '203.0.113.10', [KEY]: 'shop' }, ports: [{ port: 80, protocol: 'TCP' }] }),
    deny: [],
  },
  {
    name: 'consent plus the same key lets another namespace share',
    namespace: 'team-b',
    obj: svc('guest', { annotations: { [VIP]: '203.0.113.60', [KEY]: 'k' }, ports: [{ port: 80, protocol: 'TCP' }] }),
    deny: [],
  },
  {
    name: 'consent does not lift the key rule',
    namespace: 'team-b',
    obj: svc('guest', { annotations: { [VIP]: '203.0.113.60', [KEY]: 'other' }, ports: [{ port: 80, protocol: 'TCP' }] }),
    deny: [/\[loadbalancer\.shared-vip\] VIP 203\.0\.113\.60 is already used by Service team-a\/friendly with shared-vip-key "k"/],
  },
  {
    name: 'consent does not lift the port rule',
    namespace: 'team-b',
    obj: svc('guest', { annotations: { [VIP]: '203.0.113.60', [KEY]: 'k' } }),
    deny: [/\[loadbalancer\.shared-vip\] port 443\/TCP on VIP 203\.0\.113\.60 is already served by Service team-a\/friendly/],
  },
  {
    name: 'consent for another namespace is not consent for me',
    namespace: 'risky',
    obj: svc('guest', { annotations: { [VIP]: '203.0.113.60', [KEY]: 'k' }, ports: [{ port: 80, protocol: 'TCP' }] }),
    deny: [/vip-owner.*belongs to namespace team-a/],
  },
  {
    name: 'a VIP the load balancer assigned (status) counts as held',
    namespace: 'team-b',
    obj: svc('status', { loadBalancerIP: '203.0.113.50' }),
    deny: [/\[loadbalancer\.vip-owner\] spec\.loadBalancerIP "203\.0\.113\.50" belongs to namespace team-a \(Service team-a\/assigned/],
  },
  {
    name: 'a Service takes the VIP an Ingress of another namespace holds',
    namespace: 'team-b',
    obj: svc('steal', { annotations: { [VIP]: '203.0.113.70' } }),
    deny: [/\[loadbalancer\.vip-owner\] .*"203\.0\.113\.70" belongs to namespace team-a \(Ingress team-a\/gw/],
  },
  {
    name: 'a Service on an Ingress VIP of its own namespace may not take 443',
    namespace: 'team-a',
    obj: svc('clash', { annotations: { [VIP]: '203.0.113.70' } }),
    deny: [/\[loadbalancer\.shared-vip\] port 443\/TCP on VIP 203\.0\.113\.70 is already served by Ingress team-a\/gw/],
  },
  {
    name: "an Ingress takes another namespace's Service VIP",
    namespace: 'team-b',
    obj: ing('x', { annotations: { [STATIC]: '203.0.113.10' }, rules: [host('x.example.com')] }),
    deny: [
      /\[ingress\.vip-owner\] metadata\.annotations\["ingress\.harbormaster\.io\/static-vip"\] "203\.0\.113\.10" belongs to namespace team-a \(Service team-a\/web/,
    ],
  },
  {
    name: 'an Ingress takes a VIP from a pool its namespace may not use',
    namespace: 'team-b',
    obj: ing('x', { annotations: { [STATIC]: '198.51.100.130' }, rules: [host('x.example.com')] }),
    deny: [/\[ingress\.controller-annotations\] .*"198\.51\.100\.130" is in VIP pool "reserved", which namespace team-b may not use/],
  },
  {
    name: 'two Ingresses of one namespace on one static VIP',
    namespace: 'team-a',
    obj: ing('gw2', { annotations: { [STATIC]: '203.0.113.70' }, rules: [host('gw2.example.com')] }),
    deny: [],
  },
  {
    name: 'share-with must name namespaces',
    namespace: 'team-a',
    obj: svc('bad', { annotations: { [SHARE]: '*' } }),
    deny: [/\[loadbalancer\.share-with\] .*"\*" must be a comma-separated list of namespace names/],
  },
  // hosts
  {
    name: 'another namespace serves /evil on an owned host',
    namespace: 'team-b',
    obj: ing('evil', { rules: [host('shop.example.com', [{ path: '/evil', pathType: 'Prefix' }])] }),
    deny: [
      /\[ingress\.host-unique\] spec\.rules\[0\]\.host "shop\.example\.com" is already served by Ingress team-a\/shop, created 2026-01-01T00:00:00Z; a host belongs to the namespace of its oldest Ingress/,
    ],
  },
  {
    name: 'a rule with a host and no http still claims the host',
    namespace: 'team-b',
    obj: ing('bare', { rules: [{ host: 'shop.example.com', noHttp: true }] }),
    deny: [/host-unique.*team-a\/shop/],
  },
  {
    name: "a host under another namespace's wildcard",
    namespace: 'team-b',
    obj: ing('login', { rules: [host('login.apps.example.com')] }),
    deny: [
      /\[ingress\.host-unique\] spec\.rules\[0\]\.host "login\.apps\.example\.com" is under the wildcard "\*\.apps\.example\.com" of Ingress team-a\/apps/,
    ],
  },
  { name: 'two labels below a wildcard is not under it', namespace: 'team-b', obj: ing('deep', { rules: [host('a.login.apps.example.com')] }), deny: [] },
  {
    name: "a wildcard over another namespace's hosts",
    namespace: 'team-b',
    obj: ing('wild', { rules: [host('*.example.com')] }),
    deny: [
      /\[ingress\.host-unique\] spec\.rules\[0\]\.host "\*\.example\.com" would cover host "(shop|www|gw)\.example\.com" of Ingress team-a\//,
      /would cover/,
      /would cover/,
    ],
  }, // shared.example.com is shared with team-b
  {
    name: 'a wildcard over my own hosts only',
    namespace: 'team-a',
    obj: ing('wild', { rules: [host('*.example.com')] }),
    deny: [/would cover host "new\.example\.com" of Ingress team-b\/new/],
  },
  {
    name: 'an old Ingress that adds a held host does not jump the queue',
    namespace: 'team-a',
    operation: 'UPDATE',
    obj: ing('www', { created: T1, rules: [host('www.example.com'), host('new.example.com')] }),
    oldObject: ing('www', { created: T1, rules: [host('www.example.com')] }),
    deny: [/spec\.rules\[1\]\.host "new\.example\.com" is already served by Ingress team-b\/new/],
  },
  {
    name: 'the owner updating itself',
    namespace: 'team-a',
    operation: 'UPDATE',
    obj: ing('shop', { created: T1, rules: [host('shop.example.com', [{ path: '/v2', pathType: 'Prefix' }])] }),
    oldObject: ing('shop', { created: T1, rules: [host('shop.example.com')] }),
    deny: [],
  },
  {
    name: 'a consented namespace uses a shared host on its own paths',
    namespace: 'team-b',
    obj: ing('b-part', {
      rules: [
        host('shared.example.com', [
          { path: '/shop', pathType: 'Prefix' },
          { path: '/login/help', pathType: 'Exact' },
        ]),
      ],
    }),
    deny: [],
  },
  {
    name: 'on a shared host overlapping paths stay denied',
    namespace: 'team-b',
    obj: ing('b-part', {
      rules: [
        host('shared.example.com', [
          { path: '/api/v2', pathType: 'Prefix' },
          { path: '/', pathType: 'Prefix' },
          { path: '/login', pathType: 'Exact' },
        ]),
      ],
    }),
    deny: [/path "\/api\/v2" overlaps path "\/api" of Ingress team-a\/shared/, /path "\/" overlaps path "\/api"/, /path "\/login" overlaps path "\/login"/],
  },
  {
    name: 'use-regex /[a]pi steals /api on a shared host',
    namespace: 'risky',
    obj: ing('re', {
      annotations: { 'nginx.ingress.kubernetes.io/use-regex': 'true' },
      rules: [host('shared.example.com', [{ path: '/[a]pi', pathType: 'ImplementationSpecific' }])],
    }),
    deny: [/\[ingress\.host-unique\] .*path "\/\[a\]pi" overlaps path "\/api" of Ingress team-a\/shared/],
  },
  {
    name: 'an ImplementationSpecific /ap is a plain nginx prefix over /api',
    namespace: 'risky',
    obj: ing('is', { rules: [host('shared.example.com', [{ path: '/ap', pathType: 'ImplementationSpecific' }])] }),
    deny: [/path "\/ap" overlaps path "\/api"/],
  },
  {
    name: 'a consented namespace may add a host under a shared wildcard',
    namespace: 'team-b',
    obj: ing('in-open', { rules: [host('b.open.example.com')] }),
    deny: [],
  },
  {
    name: 'share-with on an Ingress must name namespaces',
    namespace: 'team-a',
    obj: ing('bad', { annotations: { [SHARE]: 'team-b,,x' }, rules: [host('bad.example.com')] }),
    deny: [/\[ingress\.share-with\]/],
  },
  // UPDATEs that add what a CREATE would have been refused
  {
    name: "an old Service that adds another namespace's VIP on UPDATE",
    namespace: 'team-b',
    operation: 'UPDATE',
    obj: svc('old-svc', { created: T1, annotations: { [VIP]: '203.0.113.10', [KEY]: 'shop' }, ports: [{ port: 80, protocol: 'TCP' }] }),
    oldObject: svc('old-svc', { created: T1, ports: [{ port: 80, protocol: 'TCP' }] }),
    deny: [/\[loadbalancer\.vip-owner\] .*"203\.0\.113\.10" belongs to namespace team-a/],
  },
  {
    name: "an Ingress that adds another namespace's static VIP on UPDATE",
    namespace: 'team-b',
    operation: 'UPDATE',
    obj: ing('old-ing', { created: T1, annotations: { [STATIC]: '203.0.113.70' }, rules: [host('old-ing.example.org')] }),
    oldObject: ing('old-ing', { created: T1, rules: [host('old-ing.example.org')] }),
    deny: [/\[ingress\.vip-owner\] .*"203\.0\.113\.70" belongs to namespace team-a \(Ingress team-a\/gw/],
  },
  {
    name: 'an Ingress that adds spec.defaultBackend on UPDATE',
    namespace: 'team-b',
    operation: 'UPDATE',
    obj: ing('grow', { created: T1, defaultBackend: true, rules: [host('grow.example.org')] }),
    oldObject: ing('grow', { created: T1, rules: [host('grow.example.org')] }),
    deny: [/\[ingress\.catch-all\] spec\.defaultBackend claims the catch-all/],
  },
  {
    name: 'the holder of a VIP keeps it on UPDATE',
    namespace: 'team-a',
    operation: 'UPDATE',
    obj: svc('web', { created: T1, annotations: { [VIP]: '203.0.113.10', [KEY]: 'shop', 'lb.harbormaster.io/algorithm': 'round-robin' } }),
    oldObject: svc('web', { created: T1, annotations: { [VIP]: '203.0.113.10', [KEY]: 'shop' } }),
    deny: [],
  },
  {
    name: 'share-with names namespaces, not ns/name references',
    namespace: 'team-a',
    obj: ing('ref', { annotations: { [SHARE]: 'team-b/shop' }, rules: [host('ref.example.org')] }),
    deny: [/\[ingress\.share-with\]/],
  },
  // catch-alls
  {
    name: 'an Ingress with only spec.defaultBackend',
    namespace: 'team-b',
    obj: ing('default', { defaultBackend: true }),
    deny: [
      /\[ingress\.catch-all\] spec\.defaultBackend claims the catch-all of ingress class "harbormaster" .*namespace team-b is not in the policy file's ingress\.catchAllNamespaces/,
    ],
  },
  {
    name: 'a rule with no host',
    namespace: 'team-b',
    obj: ing('nohost', { rules: [{ paths: [{ path: '/x', pathType: 'Prefix' }] }] }),
    deny: [/\[ingress\.catch-all\] spec\.rules\[0\]\.host \(empty\) claims the catch-all/],
  },
  { name: 'a rule with no host and no http', namespace: 'team-b', obj: ing('nohost', { rules: [{ noHttp: true }] }), deny: [/\[ingress\.catch-all\]/] },
  {
    name: 'an allowed namespace may not take a held catch-all',
    namespace: 'edge-2',
    obj: ing('second', { defaultBackend: true }),
    deny: [/\[ingress\.catch-all\] spec\.defaultBackend claims the catch-all of ingress class "harbormaster", already held by Ingress edge\/catch/],
  },
  {
    name: 'the catch-all of another class is free',
    namespace: 'edge-2',
    obj: ing('internal', { defaultBackend: true, className: 'nginx-internal' }),
    deny: [],
  },
  {
    name: 'the owner of the catch-all adds another',
    namespace: 'edge',
    obj: ing('more', { rules: [{ paths: [{ path: '/y', pathType: 'Prefix' }] }] }),
    deny: [],
  },
];

function serverDecision(c: Case) {
  const policy = c.obj.kind === 'Service' ? loadBalancerValidate : ingressValidate;
  return evaluate({
    policy,
    request: admissionRequest(c.obj, { namespace: c.namespace, operation: c.operation ?? 'CREATE', ...(c.oldObject ? { oldObject: c.oldObject } : {}) }),
    cluster,
    config,
  });
}

describe('ownership of VIPs, hosts and catch-alls (SPEC 3.0)', () => {
  for (const c of cases) {
    it(c.name, () => {
      const d = serverDecision(c);
      const got = d.denials.map((x) => `[${x.rule}] ${x.message}`);
      assert.equal(got.length, c.deny.length, got.join('\n'));
      c.deny.forEach((re, i) => assert.match(got[i] ?? '', re));
    });
  }

  it('the HTTP server and review agree on every CREATE case', async () => {
    const app = createAdmissionApp({ registry, cluster, config: () => config, ready: () => true, logger: silentLogger() });
    for (const c of cases.filter((x) => (x.operation ?? 'CREATE') === 'CREATE')) {
      const path = c.obj.kind === 'Service' ? '/validate/loadbalancer' : '/validate/ingress';
      const res = await request(app)
        .post(path)
        .send(reviewBody(admissionRequest(c.obj, { namespace: c.namespace })));
      const offline = reviewObject(c.obj, { registry, cluster, config, operation: 'CREATE', namespace: c.namespace });
      assert.equal(res.body.response.allowed, offline.allowed, c.name);
      const message = offline.denials.map((x) => `[${x.rule}] ${x.message}`).join('; ');
      assert.equal(res.body.response.status?.message ?? '', message, c.name);
    }
  });
});

describe('path overlap on a shared host', () => {
  const set = new PathSet([
    { path: { path: '/api', pathType: 'Prefix' }, regex: false },
    { path: { path: '/login', pathType: 'Exact' }, regex: false },
    { path: { path: '/static/', pathType: 'Prefix' }, regex: false },
  ]);
  const table: Array<[string, string, boolean, string | undefined]> = [
    ['/api', 'Exact', false, '/api'],
    ['/api/v1', 'Prefix', false, '/api'],
    ['/apis', 'Prefix', false, undefined],
    ['/', 'Prefix', false, '/api'],
    ['/log', 'Prefix', false, undefined],
    ['/login', 'Prefix', false, '/login'],
    ['/login/x', 'Exact', false, undefined],
    ['/static', 'Exact', false, '/static/'],
    ['/[a]pi', 'ImplementationSpecific', true, '/api'],
    ['/API.*', 'ImplementationSpecific', true, '/api'],
    ['/lo', 'ImplementationSpecific', false, '/login'],
    ['/other', 'ImplementationSpecific', false, undefined],
  ];
  for (const [path, pathType, regex, want] of table) {
    it(`${pathType}${regex ? ' (regex)' : ''} ${path} → ${want ?? 'no overlap'}`, () => assert.equal(set.overlapping({ path, pathType }, regex), want));
  }
  it('a regex path owns its literal prefix, case-insensitively', () => {
    assert.equal(regexLiteralPrefix('/Api/(v1|v2)'), '/api/');
    assert.equal(regexLiteralPrefix('/[a]pi'), '/');
  });
  it('a regex path of the other side owns its prefix too', () => {
    const re = new PathSet([{ path: { path: '/a.*', pathType: 'ImplementationSpecific' }, regex: true }]);
    assert.equal(re.overlapping({ path: '/about', pathType: 'Prefix' }, false), '/a.*');
    assert.equal(re.overlapping({ path: '/b', pathType: 'Prefix' }, false), undefined);
    assert.equal(re.overlapping({ path: '/', pathType: 'Prefix' }, false), '/a.*');
  });
});

describe('conflicts that got past admission use the same rules', () => {
  it('younger holders without consent, wildcard coverage both ways, catch-alls, shared-host paths', () => {
    const store = storeFromObjects([
      ing('first', { namespace: 'a', created: T1, rules: [host('shop.example.com')] }),
      ing('late', { namespace: 'b', created: T2, rules: [host('shop.example.com', [{ path: '/cart', pathType: 'Prefix' }])] }),
      ing('sibling', { namespace: 'a', created: T3, rules: [host('shop.example.com')] }),
      ing('wild', { namespace: 'c', created: T2, rules: [host('*.example.com')] }),
      ing('sh', { namespace: 'a', created: T1, annotations: { [SHARE]: 'b' }, rules: [host('sh.other.org', [{ path: '/api', pathType: 'Prefix' }])] }),
      ing('sh-b', { namespace: 'b', created: T2, rules: [host('sh.other.org', [{ path: '/api/x', pathType: 'Prefix' }])] }),
      ing('sh-ok', { namespace: 'b', created: T2, rules: [host('sh.other.org', [{ path: '/web', pathType: 'Prefix' }])] }),
      ing('c1', { namespace: 'edge', created: T1, defaultBackend: true }),
      ing('c2', { namespace: 'edge-2', created: T2, rules: [{ paths: [{ path: '/', pathType: 'Prefix' }] }], className: '' }),
    ]);
    const found = findHostConflicts(store.ownership, 'harbormaster')
      .map((c) => `${c.ingress.namespace}/${c.ingress.name} <- ${c.owner.namespace}/${c.owner.name}: [${c.rule}] ${c.message}`)
      .sort();
    assert.deepEqual(found, [
      'b/late <- a/first: [ingress.host-unique] host "shop.example.com" belongs to Ingress a/first, created first, which does not share it with namespace b',
      'b/sh-b <- a/sh: [ingress.host-unique] path "/api/x" on the shared host "sh.other.org" overlaps a path of Ingress a/sh, created first',
      'c/wild <- a/first: [ingress.host-unique] the wildcard "*.example.com" covers host "shop.example.com", which belongs to Ingress a/first, created first, which does not share it with namespace c',
      'edge-2/c2 <- edge/c1: [ingress.catch-all] the catch-all of ingress class "harbormaster" belongs to Ingress edge/c1, created first, which does not share it with namespace edge-2',
    ]);
  });

  it('the index follows updates and deletes', () => {
    const store = storeFromObjects([ing('x', { namespace: 'a', created: T1, rules: [host('x.example.com')] })]);
    assert.equal(store.ownership.hostHolders('x.example.com').length, 1);
    store.upsert('Ingress', ing('x', { namespace: 'a', created: T1, rules: [host('y.example.com')] }));
    assert.equal(store.ownership.hostHolders('x.example.com').length, 0);
    assert.equal(store.ownership.hostsUnder('example.com').get('a')?.has('y.example.com'), true);
    store.remove('Ingress', ing('x', { namespace: 'a' }));
    assert.equal(store.ownership.hostHolders('y.example.com').length, 0);
    assert.equal(store.ownership.hostsUnder('example.com').size, 0);
  });
});
