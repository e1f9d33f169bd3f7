/** ingress: table-driven, every rule of SPEC 3.5 plus the IngressNightmare injection patterns. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { evaluate } from '../../src/admission/engine.js';
import type { KubeObject, Operation } from '../../src/kube/types.js';
import { storeFromObjects } from '../../src/cluster/static.js';
import { loadConfigFile } from '../../src/config/load.js';
import { DEFAULT_POLICY_FILE } from '../../src/paths.js';
import { hostProblem } from '../../src/policies/ingress/hosts.js';
import { ingressValidate } from '../../src/policies/ingress/validate.js';
import { admissionRequest } from '../support/review.js';

const loaded = loadConfigFile(DEFAULT_POLICY_FILE);
if (!loaded.ok) throw new Error('policy');
const config = loaded.config;
const noDefault = { ...config, ingress: { ...config.ingress, classes: config.ingress.classes.map((c) => ({ name: c.name })) } };

type Rule = { host?: string; paths?: Array<{ path?: string; pathType?: string }> };
function ing(
  name: string,
  opts: { annotations?: Record<string, string>; className?: string | null; rules?: Rule[]; tls?: unknown[]; namespace?: string } = {},
): KubeObject {
  const rules = (opts.rules ?? [{ host: 'app.example.com', paths: [{ path: '/', pathType: 'Prefix' }] }]).map((r) => ({
    ...(r.host !== undefined ? { host: r.host } : {}),
    http: { paths: (r.paths ?? []).map((p) => ({ ...p, backend: { service: { name: 'web', port: { number: 80 } } } })) },
  }));
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name, annotations: opts.annotations ?? {}, ...(opts.namespace ? { namespace: opts.namespace } : {}) },
    spec: { ...(opts.className === null ? {} : { ingressClassName: opts.className ?? 'harbormaster' }), rules, ...(opts.tls ? { tls: opts.tls } : {}) },
  };
}

const cluster = storeFromObjects([
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a' } },
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'trusted', annotations: { 'harbormaster.io/ingress-risk': 'high' } } },
  { apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/tls', metadata: { name: 'shop-tls', namespace: 'team-a' } },
  { apiVersion: 'v1', kind: 'Secret', type: 'Opaque', metadata: { name: 'opaque', namespace: 'team-a' } },
  ing('shop', { namespace: 'team-b', rules: [{ host: 'shop.example.com', paths: [{ path: '/', pathType: 'Prefix' }] }] }),
  ing('api', { namespace: 'team-b', rules: [{ host: 'api.example.com', paths: [{ path: '/v1', pathType: 'Prefix' }] }] }),
  ing('exact', { namespace: 'team-b', rules: [{ host: 'exact.example.com', paths: [{ path: '/login', pathType: 'Exact' }] }] }),
  ing('wild', { namespace: 'team-b', rules: [{ host: '*.apps.example.com', paths: [{ path: '/', pathType: 'Prefix' }] }] }),
  ing('mine', { namespace: 'team-a', rules: [{ host: 'mine.example.com', paths: [{ path: '/', pathType: 'Prefix' }] }] }),
]);

function check(obj: KubeObject, options: { namespace?: string; operation?: Operation; cfg?: typeof config } = {}) {
  return evaluate({
    policy: ingressValidate,
    request: admissionRequest(obj, { namespace: options.namespace ?? 'team-a', operation: options.operation ?? 'CREATE' }),
    cluster,
    config: options.cfg ?? config,
  });
}

const N = 'nginx.ingress.kubernetes.io/';
const H = 'ingress.harbormaster.io/';
const cases: Array<{ name: string; obj: KubeObject; namespace?: string; cfg?: typeof config; operation?: Operation; deny: RegExp[]; warn?: RegExp[] }> = [
  // class
  { name: 'allowed class', obj: ing('a'), deny: [] },
  { name: 'legacy class annotation alone', obj: ing('a', { className: null, annotations: { 'kubernetes.io/ingress.class': 'nginx-internal' } }), deny: [] },
  {
    name: 'class not allowed',
    obj: ing('a', { className: 'nginx' }),
    deny: [/spec\.ingressClassName "nginx" is not an allowed class; use one of: harbormaster, nginx-internal/],
  },
  {
    name: 'legacy class not allowed',
    obj: ing('a', { className: null, annotations: { 'kubernetes.io/ingress.class': 'gce' } }),
    deny: [/kubernetes\.io\/ingress\.class"\] "gce" is not an allowed class/],
  },
  {
    name: 'both set and different',
    obj: ing('a', { className: 'harbormaster', annotations: { 'kubernetes.io/ingress.class': 'nginx-internal' } }),
    deny: [/differ; set spec\.ingressClassName only/],
  },
  { name: 'both set and equal', obj: ing('a', { className: 'harbormaster', annotations: { 'kubernetes.io/ingress.class': 'harbormaster' } }), deny: [] },
  { name: 'no class, default configured', obj: ing('a', { className: null }), deny: [] },
  {
    name: 'no class, no default',
    cfg: noDefault,
    obj: ing('a', { className: null }),
    deny: [/spec\.ingressClassName is required \(no default class is configured\)/],
  },
  // controller keys
  {
    name: 'controller keys valid',
    obj: ing('a', {
      annotations: {
        [`${H}static-vip`]: '203.0.113.7',
        [`${H}allow-http`]: 'false',
        [`${H}ssl-redirect`]: 'true',
        [`${H}min-replicas`]: '2',
        [`${H}max-replicas`]: '10',
        [`${H}target-cpu-utilization`]: '70',
      },
    }),
    deny: [],
  },
  {
    name: 'unknown controller key suggests',
    obj: ing('a', { annotations: { [`${H}min-replica`]: '2' } }),
    deny: [/is not a known key; did you mean `min-replicas`\?/],
  },
  {
    name: 'static-vip outside the pools',
    obj: ing('a', { annotations: { [`${H}static-vip`]: '192.0.2.1' } }),
    deny: [/static-vip"\] "192\.0\.2\.1" is in none of the cluster's VIP pools/],
  },
  { name: 'static-vip not an address', obj: ing('a', { annotations: { [`${H}static-vip`]: 'vip-1' } }), deny: [/is not an IP address/] },
  {
    name: 'allow-http not a boolean',
    obj: ing('a', { annotations: { [`${H}allow-http`]: 'True' } }),
    deny: [/allow-http"\] "True" must be "true" or "false"/],
  },
  {
    name: 'min-replicas above max-replicas',
    obj: ing('a', { annotations: { [`${H}min-replicas`]: '5', [`${H}max-replicas`]: '3' } }),
    deny: [/must not exceed max-replicas \(3\)/],
  },
  { name: 'max-replicas over 100', obj: ing('a', { annotations: { [`${H}max-replicas`]: '101' } }), deny: [/from 1 to 100/] },
  { name: 'target-cpu-utilization 0', obj: ing('a', { annotations: { [`${H}target-cpu-utilization`]: '0' } }), deny: [/from 1 to 100/] },
  // nginx allow-list and risk
  {
    name: 'low-risk nginx keys with valid values',
    obj: ing('a', {
      annotations: {
        [`${N}proxy-body-size`]: '8m',
        [`${N}ssl-redirect`]: 'true',
        [`${N}proxy-read-timeout`]: '60',
        [`${N}whitelist-source-range`]: '10.0.0.0/8, 192.0.2.0/24',
        [`${N}cors-allow-methods`]: 'GET, POST',
      },
    }),
    deny: [],
  },
  {
    name: 'nginx key not on the allow-list',
    obj: ing('a', { annotations: { [`${N}proxy-body-sise`]: '8m' } }),
    deny: [/is not on the nginx annotation allow-list; did you mean `proxy-body-size`\?/],
  },
  {
    name: 'configuration-snippet is Critical',
    obj: ing('a', { annotations: { [`${N}configuration-snippet`]: 'more_set_headers "X: y"' } }),
    deny: [/configuration-snippet"\] is Critical risk/],
  },
  {
    name: 'server-snippet is Critical even in a high-risk namespace',
    namespace: 'trusted',
    obj: ing('a', { annotations: { [`${N}server-snippet`]: 'location /x {}' } }),
    deny: [/server-snippet"\] is Critical risk \(raw nginx configuration\) and never allowed/],
  },
  {
    name: 'any unlisted *-snippet is Critical',
    obj: ing('a', { annotations: { [`${N}custom-thing-snippet`]: 'x' } }),
    deny: [/custom-thing-snippet"\] is Critical risk/],
  },
  {
    name: 'auth-snippet is Critical',
    namespace: 'trusted',
    obj: ing('a', { annotations: { [`${N}auth-snippet`]: 'x' } }),
    deny: [/auth-snippet"\] is Critical risk/],
  },
  {
    name: 'High key without the namespace opt-in',
    obj: ing('a', { annotations: { [`${N}auth-url`]: 'https://auth.example.com/check' } }),
    deny: [/auth-url"\] is High risk .*needs the namespace annotation harbormaster\.io\/ingress-risk: "high"/],
  },
  {
    name: 'High key with the namespace opt-in',
    namespace: 'trusted',
    obj: ing('a', { annotations: { [`${N}auth-url`]: 'https://auth.example.com/check' } }),
    deny: [],
  },
  { name: 'Medium key is allowed', obj: ing('a', { annotations: { [`${N}rewrite-target`]: '/$1' } }), deny: [] },
  // value types
  { name: 'bool value wrong', obj: ing('a', { annotations: { [`${N}ssl-redirect`]: 'yes' } }), deny: [/ssl-redirect"\] "yes" must be "true" or "false"/] },
  { name: 'int value out of range', obj: ing('a', { annotations: { [`${N}proxy-read-timeout`]: '99999' } }), deny: [/must be a whole number from 1 to 3600/] },
  { name: 'size value wrong', obj: ing('a', { annotations: { [`${N}proxy-body-size`]: 'large' } }), deny: [/must be a size like 8m/] },
  { name: 'enum value wrong', obj: ing('a', { annotations: { [`${N}backend-protocol`]: 'FCGI' } }), deny: [/must be one of HTTP, HTTPS, GRPC/] },
  {
    name: 'source range not canonical',
    obj: ing('a', { annotations: { [`${N}whitelist-source-range`]: '10.0.0.1/8' } }),
    deny: [/comma-separated list of canonical CIDRs/],
  },
  {
    name: 'auth-url not a URL',
    namespace: 'trusted',
    obj: ing('a', { annotations: { [`${N}auth-url`]: 'file:///etc/passwd' } }),
    deny: [/must be an http:\/\/ or https:\/\/ URL/],
  },
  // IngressNightmare-style injections
  {
    name: 'auth-url with ; payload (CVE-2025-1097 class)',
    namespace: 'trusted',
    obj: ing('a', { annotations: { [`${N}auth-url`]: 'http://example.com/#;load_module /tmp/x.so;' } }),
    deny: [/auth-url"\] contains a control character, newline, brace or semicolon/],
  },
  {
    name: 'auth-url with newline payload',
    namespace: 'trusted',
    obj: ing('a', { annotations: { [`${N}auth-url`]: 'http://example.com/\nproxy_pass http://evil;' } }),
    deny: [/contains a control character/],
  },
  {
    name: 'auth-tls-match-cn with braces and newline (CVE-2025-1097)',
    namespace: 'trusted',
    obj: ing('a', { annotations: { [`${N}auth-tls-match-cn`]: 'CN=abc #(\n){}\n }}\nssl_engine ../../../tmp/x.so;' } }),
    deny: [/auth-tls-match-cn"\] contains a control character/],
  },
  {
    name: 'mirror-target with ; (CVE-2025-1098)',
    namespace: 'trusted',
    obj: ing('a', { annotations: { [`${N}mirror-target`]: 'https://example.com/;}\nserver { listen 1337; }' } }),
    deny: [/mirror-target"\] contains a control character/],
  },
  {
    name: 'mirror-target with a tab',
    namespace: 'trusted',
    obj: ing('a', { annotations: { [`${N}mirror-target`]: 'https://example.com/\tx' } }),
    deny: [/contains a control character/],
  },
  {
    name: 'braces in a Low key value',
    obj: ing('a', { annotations: { [`${N}cors-allow-origin`]: 'https://a.example.com}' } }),
    deny: [/cors-allow-origin"\] contains/],
  },
  { name: 'semicolon in a controller key', obj: ing('a', { annotations: { [`${H}min-replicas`]: '1;' } }), deny: [/min-replicas"\] contains/] },
  // hosts
  {
    name: 'uppercase host',
    obj: ing('a', { rules: [{ host: 'App.example.com', paths: [{ path: '/', pathType: 'Prefix' }] }] }),
    deny: [/host "App\.example\.com" must be lower case/],
  },
  { name: 'leftmost wildcard is fine', obj: ing('a', { rules: [{ host: '*.example.org', paths: [{ path: '/', pathType: 'Prefix' }] }] }), deny: [] },
  {
    name: 'double wildcard',
    obj: ing('a', { rules: [{ host: '*.*.example.org', paths: [{ path: '/', pathType: 'Prefix' }] }] }),
    deny: [/may use \* only as the whole leftmost label/],
  },
  {
    name: 'wildcard in the middle',
    obj: ing('a', { rules: [{ host: 'a.*.com', paths: [{ path: '/', pathType: 'Prefix' }] }] }),
    deny: [/may use \* only as the whole leftmost label/],
  },
  { name: 'partial-label wildcard', obj: ing('a', { rules: [{ host: 'ap*.example.com', paths: [{ path: '/', pathType: 'Prefix' }] }] }), deny: [/may use \*/] },
  {
    name: 'underscore in host',
    obj: ing('a', { rules: [{ host: 'my_app.example.com', paths: [{ path: '/', pathType: 'Prefix' }] }] }),
    deny: [/is not a valid DNS name/],
  },
  // ownership
  {
    name: 'host+path of another namespace',
    obj: ing('a', { rules: [{ host: 'shop.example.com', paths: [{ path: '/', pathType: 'Prefix' }] }] }),
    deny: [/spec\.rules\[0\]\.host "shop\.example\.com" is already served by Ingress team-b\/shop/],
  },
  {
    name: "a sub-path under another namespace's prefix",
    obj: ing('a', { rules: [{ host: 'shop.example.com', paths: [{ path: '/cart', pathType: 'Prefix' }] }] }),
    deny: [/already served by Ingress team-b\/shop/],
  },
  {
    name: "a prefix above another namespace's path",
    obj: ing('a', { rules: [{ host: 'api.example.com', paths: [{ path: '/', pathType: 'Prefix' }] }] }),
    deny: [/already served by Ingress team-b\/api/],
  },
  // SPEC 3.0: the whole host belongs to its owner (same origin: cookies, CORS), not just the paths it serves.
  {
    name: 'a sibling path on a host of another namespace',
    obj: ing('a', { rules: [{ host: 'api.example.com', paths: [{ path: '/v2', pathType: 'Prefix' }] }] }),
    deny: [/already served by Ingress team-b\/api/],
  },
  {
    name: "/v10 on another namespace's host",
    obj: ing('a', { rules: [{ host: 'api.example.com', paths: [{ path: '/v10', pathType: 'Prefix' }] }] }),
    deny: [/team-b\/api/],
  },
  {
    name: "an Exact path beside another namespace's Exact path",
    obj: ing('a', { rules: [{ host: 'exact.example.com', paths: [{ path: '/logout', pathType: 'Exact' }] }] }),
    deny: [/team-b\/exact/],
  },
  {
    name: 'the same Exact path',
    obj: ing('a', { rules: [{ host: 'exact.example.com', paths: [{ path: '/login', pathType: 'Exact' }] }] }),
    deny: [/team-b\/exact/],
  },
  {
    name: 'the wildcard host itself is owned',
    obj: ing('a', { rules: [{ host: '*.apps.example.com', paths: [{ path: '/', pathType: 'Prefix' }] }] }),
    deny: [/team-b\/wild/],
  },
  {
    name: "a concrete host under another namespace's wildcard belongs to it",
    obj: ing('a', { rules: [{ host: 'x.apps.example.com', paths: [{ path: '/', pathType: 'Prefix' }] }] }),
    deny: [/is under the wildcard "\*\.apps\.example\.com" of Ingress team-b\/wild/],
  },
  {
    name: '*.a.com and a.com are different hosts',
    obj: ing('a', { rules: [{ host: 'apps.example.com', paths: [{ path: '/', pathType: 'Prefix' }] }] }),
    deny: [],
  },
  {
    name: 'the same namespace may share a host',
    obj: ing('other', { rules: [{ host: 'mine.example.com', paths: [{ path: '/', pathType: 'Prefix' }] }] }),
    deny: [],
  },
  {
    name: 'the owner updating itself',
    namespace: 'team-b',
    operation: 'UPDATE',
    obj: ing('shop', { rules: [{ host: 'shop.example.com', paths: [{ path: '/', pathType: 'Prefix' }] }] }),
    deny: [],
  },
  // size (bounded work): checked first and alone
  {
    name: 'more than 1,000 rules',
    obj: ing('a', { rules: Array.from({ length: 1001 }, (_, i) => ({ host: `h${i}.example.org`, paths: [{ path: '/', pathType: 'Prefix' }] })) }),
    deny: [/\[?spec\.rules has 1001 entries \(at most 1000\); split the Ingress into several/],
  },
  {
    name: 'more than 5,000 paths in all',
    obj: ing('a', { rules: [{ host: 'big.example.org', paths: Array.from({ length: 5001 }, (_, i) => ({ path: `/p${i}`, pathType: 'Prefix' })) }] }),
    deny: [/paths has 5001 entries in all \(at most 5000\)/],
  },
  {
    name: '1,000 rules is fine',
    obj: ing('a', { rules: Array.from({ length: 1000 }, (_, i) => ({ host: `h${i}.example.org`, paths: [{ path: '/', pathType: 'Prefix' }] })) }),
    deny: [],
  },
  // tls and pathType
  { name: 'TLS secret in the namespace, hosts covered', obj: ing('a', { tls: [{ hosts: ['app.example.com'], secretName: 'shop-tls' }] }), deny: [], warn: [] },
  {
    name: 'TLS secret missing',
    obj: ing('a', { tls: [{ hosts: ['app.example.com'], secretName: 'nope' }] }),
    deny: [/spec\.tls\[0\]\.secretName "nope" is not a kubernetes\.io\/tls Secret in namespace team-a/],
  },
  { name: 'TLS secret of the wrong type', obj: ing('a', { tls: [{ secretName: 'opaque' }] }), deny: [/"opaque" is not a kubernetes\.io\/tls Secret/] },
  {
    name: 'TLS host not among the rule hosts warns',
    obj: ing('a', { tls: [{ hosts: ['other.example.com'], secretName: 'shop-tls' }] }),
    deny: [],
    warn: [/spec\.tls\[0\] host "other\.example\.com" is served by no rule/],
  },
  {
    name: 'pathType missing',
    obj: ing('a', { rules: [{ host: 'app.example.com', paths: [{ path: '/' }] }] }),
    deny: [/spec\.rules\[0\]\.http\.paths\[0\]\.pathType is required/],
  },
];

describe('ingress', () => {
  for (const c of cases) {
    it(c.name, () => {
      const d = check(c.obj, {
        ...(c.namespace ? { namespace: c.namespace } : {}),
        ...(c.operation ? { operation: c.operation } : {}),
        ...(c.cfg ? { cfg: c.cfg } : {}),
      });
      assert.equal(d.denials.length, c.deny.length, JSON.stringify(d.denials, null, 1));
      c.deny.forEach((re, i) => assert.match(d.denials[i]?.message ?? '', re));
      if (c.warn) {
        assert.equal(d.warnings.length, c.warn.length, JSON.stringify(d.warnings));
        c.warn.forEach((re, i) => assert.match(d.warnings[i]?.message ?? '', re));
      }
    });
  }
  it(`has at least 40 Ingress cases (${cases.length})`, () => assert.ok(cases.length >= 40));

  it('hostProblem edge cases', () => {
    assert.equal(hostProblem('*.com'), 'is a wildcard over a top-level domain');
    assert.equal(hostProblem('a.example.com'), undefined);
  });
});
