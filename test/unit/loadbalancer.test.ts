/** loadbalancer: table-driven, one case per rule and edge of SPEC 3.4. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { evaluate } from '../../src/admission/engine.js';
import type { KubeObject, Operation } from '../../src/kube/types.js';
import { storeFromObjects } from '../../src/cluster/static.js';
import { loadConfigFile } from '../../src/config/load.js';
import type { PolicyConfig } from '../../src/config/types.js';
import { DEFAULT_POLICY_FILE } from '../../src/paths.js';
import { loadBalancerValidate } from '../../src/policies/loadbalancer/validate.js';
import { editDistance } from '../../src/policies/shared/suggest.js';
import { admissionRequest } from '../support/review.js';

const loaded = loadConfigFile(DEFAULT_POLICY_FILE);
if (!loaded.ok) throw new Error('policy');
const config: PolicyConfig = {
  ...loaded.config,
  loadBalancer: {
    vipPools: [
      { name: 'public', cidrs: ['203.0.113.0/24', '2001:db8:100::/64'] },
      { name: 'reserved', cidrs: ['198.51.100.128/25'], namespaces: ['payments'] },
    ],
    externalIPNamespaces: ['edge'],
  },
};

function svc(name: string, annotations: Record<string, string>, spec: Record<string, unknown> = {}, namespace?: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, annotations, ...(namespace ? { namespace } : {}) },
    spec: { type: 'LoadBalancer', ports: [{ port: 443, protocol: 'TCP' }], ...spec },
  };
}

const existing = [
  svc(
    'web',
    { 'lb.harbormaster.io/vip': '203.0.113.10', 'lb.harbormaster.io/shared-vip-key': 'shop' },
    {
      ports: [
        { port: 443, protocol: 'TCP' },
        { port: 53, protocol: 'UDP' },
      ],
    },
    'team-b',
  ),
  svc('solo', { 'lb.harbormaster.io/vip': '203.0.113.20' }, {}, 'team-b'),
  svc('v6', { 'lb.harbormaster.io/vip': '2001:db8:100::5' }, {}, 'team-b'),
  svc('legacy', {}, { loadBalancerIP: '203.0.113.30' }, 'team-b'),
  svc('was-lb', { 'lb.harbormaster.io/vip': '203.0.113.40' }, { type: 'ClusterIP' }, 'team-b'),
];
const cluster = storeFromObjects(existing);

function check(obj: KubeObject, options: { namespace?: string; operation?: Operation } = {}) {
  return evaluate({
    policy: loadBalancerValidate,
    request: admissionRequest(obj, { namespace: options.namespace ?? 'team-a', operation: options.operation ?? 'CREATE' }),
    cluster,
    config,
  });
}

const cases: Array<{ name: string; obj: KubeObject; namespace?: string; operation?: Operation; deny: RegExp[] }> = [
  { name: 'plain LoadBalancer, no annotations', obj: svc('a', {}), deny: [] },
  {
    name: 'every key valid',
    obj: svc(
      'a',
      {
        'lb.harbormaster.io/vip': '203.0.113.11',
        'lb.harbormaster.io/algorithm': 'least-connections',
        'lb.harbormaster.io/dsr': 'true',
        'lb.harbormaster.io/health-check-interval': '10',
        'lb.harbormaster.io/health-check-timeout': '5',
        'lb.harbormaster.io/health-check-path': '/healthz?full=1',
        'lb.harbormaster.io/idle-timeout': '3600',
      },
      { externalTrafficPolicy: 'Local' },
    ),
    deny: [],
  },
  {
    name: 'typo in a key suggests the valid one',
    obj: svc('a', { 'lb.harbormaster.io/algoritm': 'round-robin' }),
    deny: [/"lb\.harbormaster\.io\/algoritm"\] is not a known key; did you mean `algorithm`\?/],
  },
  {
    name: 'an unrelated unknown key lists valid keys',
    obj: svc('a', { 'lb.harbormaster.io/colour': 'red' }),
    deny: [/is not a known key; valid keys: vip, shared-vip-key/],
  },
  {
    name: 'unknown algorithm',
    obj: svc('a', { 'lb.harbormaster.io/algorithm': 'random' }),
    deny: [/algorithm"\] "random" must be one of round-robin, least-connections, source-ip-hash/],
  },
  { name: 'dsr not a boolean', obj: svc('a', { 'lb.harbormaster.io/dsr': 'yes' }), deny: [/dsr"\] "yes" must be "true" or "false"/] },
  {
    name: 'dsr without externalTrafficPolicy Local',
    obj: svc('a', { 'lb.harbormaster.io/dsr': 'true' }),
    deny: [/requires spec\.externalTrafficPolicy: Local/],
  },
  { name: 'dsr false is fine with Cluster policy', obj: svc('a', { 'lb.harbormaster.io/dsr': 'false' }), deny: [] },
  { name: 'health-check-interval out of range', obj: svc('a', { 'lb.harbormaster.io/health-check-interval': '301' }), deny: [/from 1 to 300/] },
  {
    name: 'health-check-timeout not below interval',
    obj: svc('a', { 'lb.harbormaster.io/health-check-interval': '5', 'lb.harbormaster.io/health-check-timeout': '5' }),
    deny: [/must be less than health-check-interval \(5\)/],
  },
  { name: 'health-check-timeout not a number', obj: svc('a', { 'lb.harbormaster.io/health-check-timeout': '1.5' }), deny: [/from 1 to 299/] },
  { name: 'health-check-path without slash', obj: svc('a', { 'lb.harbormaster.io/health-check-path': 'healthz' }), deny: [/must start with \//] },
  { name: 'health-check-path with a space', obj: svc('a', { 'lb.harbormaster.io/health-check-path': '/a b' }), deny: [/printable ASCII without spaces/] },
  { name: 'health-check-path too long', obj: svc('a', { 'lb.harbormaster.io/health-check-path': '/' + 'a'.repeat(256) }), deny: [/at most 256/] },
  { name: 'idle-timeout zero', obj: svc('a', { 'lb.harbormaster.io/idle-timeout': '0' }), deny: [/from 1 to 3600/] },
  { name: 'newline in a value', obj: svc('a', { 'lb.harbormaster.io/health-check-path': '/x\nset $a 1' }), deny: [/control character, brace or semicolon/] },
  { name: 'shared-vip-key not a DNS label', obj: svc('a', { 'lb.harbormaster.io/shared-vip-key': 'Shop_Key' }), deny: [/must be a DNS label/] },
  {
    name: 'VIP outside every pool',
    obj: svc('a', { 'lb.harbormaster.io/vip': '192.0.2.1' }),
    deny: [/"192\.0\.2\.1" is in none of the cluster's VIP pools \(public: 203\.0\.113\.0\/24/],
  },
  { name: 'VIP not canonical (leading zero)', obj: svc('a', { 'lb.harbormaster.io/vip': '203.0.113.010' }), deny: [/is not an IP address|canonical/] },
  { name: 'VIP not an address', obj: svc('a', { 'lb.harbormaster.io/vip': 'example.com' }), deny: [/is not an IP address/] },
  { name: 'IPv6 VIP inside the pool', obj: svc('a', { 'lb.harbormaster.io/vip': '2001:db8:100::42' }), deny: [] },
  {
    name: 'IPv6 VIP not canonical (upper case, uncompressed)',
    obj: svc('a', { 'lb.harbormaster.io/vip': '2001:DB8:100:0:0:0:0:42' }),
    deny: [/not in canonical form \(write "2001:db8:100::42"\)/],
  },
  { name: 'IPv6 VIP outside the pool', obj: svc('a', { 'lb.harbormaster.io/vip': '2001:db8:200::1' }), deny: [/in none of the cluster's VIP pools/] },
  { name: 'IPv4-mapped IPv6 VIP', obj: svc('a', { 'lb.harbormaster.io/vip': '::ffff:203.0.113.9' }), deny: [/IPv4-mapped/] },
  {
    name: 'pool restricted to other namespaces',
    obj: svc('a', { 'lb.harbormaster.io/vip': '198.51.100.200' }),
    deny: [/VIP pool "reserved", which namespace team-a may not use/],
  },
  { name: 'restricted pool from its namespace', namespace: 'payments', obj: svc('a', { 'lb.harbormaster.io/vip': '198.51.100.200' }), deny: [] },
  {
    name: 'spec.loadBalancerIP is treated as the VIP',
    obj: svc('a', {}, { loadBalancerIP: '192.0.2.5' }),
    deny: [/spec\.loadBalancerIP "192\.0\.2\.5" is in none/],
  },
  {
    name: 'loadBalancerIP and vip differ',
    obj: svc('a', { 'lb.harbormaster.io/vip': '203.0.113.11' }, { loadBalancerIP: '203.0.113.12' }),
    deny: [/differ; set one/],
  },
  // Sharing rules within one namespace; across namespaces the owner's consent comes first (ownership.test.ts).
  {
    name: 'VIP used by a Service without a sharing key',
    namespace: 'team-b',
    obj: svc('a', { 'lb.harbormaster.io/vip': '203.0.113.20', 'lb.harbormaster.io/shared-vip-key': 'x' }),
    deny: [/VIP 203\.0\.113\.20 is already used by Service team-b\/solo;/],
  },
  {
    name: 'VIP used with another sharing key',
    namespace: 'team-b',
    obj: svc('a', { 'lb.harbormaster.io/vip': '203.0.113.10', 'lb.harbormaster.io/shared-vip-key': 'other' }, { ports: [{ port: 80, protocol: 'TCP' }] }),
    deny: [/already used by Service team-b\/web with shared-vip-key "shop"/],
  },
  {
    name: 'VIP shared with the same key, no overlapping port',
    namespace: 'team-b',
    obj: svc(
      'a',
      { 'lb.harbormaster.io/vip': '203.0.113.10', 'lb.harbormaster.io/shared-vip-key': 'shop' },
      {
        ports: [
          { port: 80, protocol: 'TCP' },
          { port: 443, protocol: 'UDP' },
        ],
      },
    ),
    deny: [],
  },
  {
    name: 'VIP shared with the same key, overlapping port/protocol',
    namespace: 'team-b',
    obj: svc('a', { 'lb.harbormaster.io/vip': '203.0.113.10', 'lb.harbormaster.io/shared-vip-key': 'shop' }, { ports: [{ port: 53, protocol: 'UDP' }] }),
    deny: [/port 53\/UDP on VIP 203\.0\.113\.10 is already served by Service team-b\/web/],
  },
  {
    name: 'VIP held via a legacy loadBalancerIP',
    namespace: 'team-b',
    obj: svc('a', { 'lb.harbormaster.io/vip': '203.0.113.30' }),
    deny: [/already used by Service team-b\/legacy/],
  },
  {
    name: 'IPv6 VIP already used',
    namespace: 'team-b',
    obj: svc('a', { 'lb.harbormaster.io/vip': '2001:db8:100::5' }),
    deny: [/already used by Service team-b\/v6/],
  },
  { name: 'VIP of a Service that is no longer a LoadBalancer is free', obj: svc('a', { 'lb.harbormaster.io/vip': '203.0.113.40' }), deny: [] },
  {
    name: 'the owner updating itself is fine',
    namespace: 'team-b',
    operation: 'UPDATE',
    obj: svc('solo', { 'lb.harbormaster.io/vip': '203.0.113.20', 'lb.harbormaster.io/idle-timeout': '60' }),
    deny: [],
  },
  {
    name: 'a LoadBalancer turned ClusterIP keeps its annotations unchecked',
    namespace: 'team-b',
    operation: 'UPDATE',
    obj: svc('solo', { 'lb.harbormaster.io/algoritm': 'x' }, { type: 'ClusterIP' }),
    deny: [],
  },
  {
    name: 'turned back into a LoadBalancer, checked again',
    namespace: 'team-b',
    operation: 'UPDATE',
    obj: svc('was-lb', { 'lb.harbormaster.io/vip': '203.0.113.40', 'lb.harbormaster.io/algoritm': 'x' }),
    deny: [/did you mean `algorithm`/],
  },
  { name: 'SCTP port', obj: svc('a', {}, { ports: [{ port: 9, protocol: 'SCTP' }] }), deny: [/spec\.ports\[0\]\.protocol "SCTP" is not supported/] },
  { name: 'source ranges canonical', obj: svc('a', {}, { loadBalancerSourceRanges: ['10.0.0.0/8', '2001:db8::/32'] }), deny: [] },
  {
    name: 'source range with host bits',
    obj: svc('a', {}, { loadBalancerSourceRanges: ['10.0.0.1/8'] }),
    deny: [/\[0\] "10\.0\.0\.1\/8" is not in canonical form \(write "10\.0\.0\.0\/8"\)/],
  },
  {
    name: 'source range not a CIDR',
    obj: svc('a', {}, { loadBalancerSourceRanges: ['10.0.0.0', '10.0.0.0/33'] }),
    deny: [/\[0\] "10\.0\.0\.0" is not a CIDR/, /\[1\] "10\.0\.0\.0\/33" is not a CIDR/],
  },
  {
    name: 'externalIPs denied on any Service type',
    obj: svc('a', {}, { type: 'ClusterIP', externalIPs: ['192.0.2.9'] }),
    deny: [/spec\.externalIPs is not allowed in namespace team-a/],
  },
  { name: 'externalIPs where the policy allows them', namespace: 'edge', obj: svc('a', {}, { type: 'ClusterIP', externalIPs: ['192.0.2.9'] }), deny: [] },
  {
    name: 'every problem at once',
    obj: svc(
      'a',
      { 'lb.harbormaster.io/algorithm': 'x', 'lb.harbormaster.io/idle-timeout': '0', 'lb.harbormaster.io/vip': '192.0.2.1' },
      { ports: [{ port: 1, protocol: 'SCTP' }] },
    ),
    deny: [/algorithm/, /idle-timeout/, /SCTP/, /VIP pools/],
  },
];

describe('loadbalancer', () => {
  for (const c of cases) {
    it(c.name, () => {
      const d = check(c.obj, { ...(c.namespace ? { namespace: c.namespace } : {}), ...(c.operation ? { operation: c.operation } : {}) });
      assert.equal(d.denials.length, c.deny.length, JSON.stringify(d.denials, null, 1));
      c.deny.forEach((re, i) => assert.match(d.denials[i]?.message ?? '', re));
    });
  }
  it(`has at least 25 Service cases (${cases.length})`, () => assert.ok(cases.length >= 25));
  it('edit distance', () => {
    assert.equal(editDistance('algoritm', 'algorithm'), 1);
    assert.equal(editDistance('', 'abc'), 3);
    assert.equal(editDistance('kitten', 'sitting'), 3);
  });
});
