/** Pure tests of tenancy.platform-annotations (SPEC 3.0): table-driven, no server, no cluster. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PolicyRegistry } from '../../src/admission/registry.js';
import { evaluate } from '../../src/admission/engine.js';
import type { KubeObject, Operation } from '../../src/kube/types.js';
import { storeFromObjects } from '../../src/cluster/static.js';
import { loadConfigFile, parseConfig } from '../../src/config/load.js';
import type { PolicyConfig } from '../../src/config/types.js';
import { DEFAULT_POLICY_FILE } from '../../src/paths.js';
import { builtinPolicies } from '../../src/policies/index.js';
import { isPlatform } from '../../src/policies/tenancy/identity.js';
import { tenancyValidate } from '../../src/policies/tenancy/validate.js';
import { reviewObject } from '../../src/review/review.js';
import { admissionRequest } from '../support/review.js';

const loaded = loadConfigFile(DEFAULT_POLICY_FILE);
if (!loaded.ok) throw new Error('shipped policy invalid');
/** The shipped policy plus one platform user and one platform ServiceAccount. */
const config: PolicyConfig = {
  ...loaded.config,
  platform: { users: ['ops-alice'], groups: ['system:masters', 'platform-team'], serviceAccounts: ['gitops/argocd'] },
};
const cluster = storeFromObjects([]);

/** A Namespace team-a; annotation values are `unknown` because tests send what a hostile client could. */
const ns = (annotations?: Record<string, unknown>, labels?: Record<string, string>): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Namespace',
  metadata: { name: 'team-a', ...(annotations ? { annotations: annotations as Record<string, string> } : {}), ...(labels ? { labels } : {}) },
});

interface Case {
  name: string;
  operation?: Operation;
  old?: KubeObject;
  object: KubeObject;
  username?: string;
  groups?: string[];
  /** Expected denial messages, word for word (empty: allowed). */
  denials: string[];
}

const tenantIs = (user: string) => `(user "${user}" is not in platform.users/groups/serviceAccounts)`;
const QP = 'metadata.annotations["harbormaster.io/quota-profile"]';
const BE = 'metadata.annotations["harbormaster.io/allow-best-effort"]';
const IR = 'metadata.annotations["harbormaster.io/ingress-risk"]';
const small = { 'harbormaster.io/quota-profile': 'small' };

const cases: Case[] = [
  // Who is the platform.
  { name: 'a platform user may set the profile', username: 'ops-alice', old: ns(), object: ns(small), denials: [] },
  { name: 'a member of a platform group may set the profile', username: 'bob', groups: ['platform-team'], old: ns(), object: ns(small), denials: [] },
  {
    name: 'cluster-admins (system:masters) may set the profile',
    username: 'admin',
    groups: ['system:masters', 'system:authenticated'],
    old: ns(),
    object: ns(small),
    denials: [],
  },
  { name: 'a platform ServiceAccount may set the profile', username: 'system:serviceaccount:gitops:argocd', old: ns(), object: ns(small), denials: [] },
  {
    name: "Harbormaster's own ServiceAccount always may, unlisted",
    username: 'system:serviceaccount:harbormaster-system:harbormaster',
    old: ns(),
    object: ns(small),
    denials: [],
  },
  {
    name: 'a platform ServiceAccount of another namespace is not the platform',
    username: 'system:serviceaccount:team-a:argocd',
    old: ns(),
    object: ns(small),
    denials: [`${QP} may be set only by the platform ${tenantIs('system:serviceaccount:team-a:argocd')}`],
  },
  {
    name: 'a username that merely looks like a platform group is not the platform',
    username: 'platform-team',
    old: ns(),
    object: ns(small),
    denials: [`${QP} may be set only by the platform ${tenantIs('platform-team')}`],
  },
  // Tenants adding, changing, removing each key.
  ...(['quota-profile', 'allow-best-effort', 'ingress-risk'] as const).flatMap((key): Case[] => {
    const field = `metadata.annotations["harbormaster.io/${key}"]`;
    const value = { 'quota-profile': 'large', 'allow-best-effort': 'true', 'ingress-risk': 'high' }[key];
    const other = { 'quota-profile': 'small', 'allow-best-effort': 'false', 'ingress-risk': 'low' }[key];
    const k = `harbormaster.io/${key}`;
    return [
      {
        name: `tenant adding ${k} is denied`,
        old: ns(),
        object: ns({ [k]: value }),
        denials: [`${field} may be set only by the platform ${tenantIs('tenant')}`],
      },
      {
        name: `tenant changing ${k} is denied`,
        old: ns({ [k]: other }),
        object: ns({ [k]: value }),
        denials: [`${field} may be changed only by the platform ${tenantIs('tenant')}`],
      },
      {
        name: `tenant removing ${k} is denied`,
        old: ns({ [k]: other }),
        object: ns({}),
        denials: [`${field} may be removed only by the platform ${tenantIs('tenant')}`],
      },
    ];
  }),
  {
    name: 'a later key under harbormaster.io/ is platform-only too',
    old: ns(),
    object: ns({ 'harbormaster.io/future-setting': 'x' }),
    denials: [`metadata.annotations["harbormaster.io/future-setting"] may be set only by the platform ${tenantIs('tenant')}`],
  },
  {
    name: 'removing the whole annotations map counts per key',
    old: ns({ ...small, 'harbormaster.io/ingress-risk': 'high' }),
    object: ns(),
    denials: [`${IR} may be removed only by the platform ${tenantIs('tenant')}`, `${QP} may be removed only by the platform ${tenantIs('tenant')}`],
  },
  // What stays allowed for tenants.
  { name: 'tenant adding a label keeps the annotations: allowed', old: ns(small), object: ns(small, { team: 'a' }), denials: [] },
  {
    name: 'annotate --overwrite with the same value: allowed',
    old: ns({ ...small, 'harbormaster.io/allow-best-effort': 'true' }),
    object: ns({ ...small, 'harbormaster.io/allow-best-effort': 'true' }),
    denials: [],
  },
  {
    name: 'namespace controller finalizing (no annotation change): allowed',
    username: 'system:serviceaccount:kube-system:namespace-controller',
    old: ns(small),
    object: { ...ns(small), spec: { finalizers: [] }, status: { phase: 'Terminating' } },
    denials: [],
  },
  {
    name: "subdomain keys are the tenant's: sidecars.harbormaster.io/inject",
    old: ns(small),
    object: ns({ ...small, 'sidecars.harbormaster.io/inject': 'fluent-bit' }),
    denials: [],
  },
  {
    name: "other annotations are the tenant's",
    old: ns(small),
    object: ns({ ...small, 'team.example.com/owner': 'alice', 'harbormaster.io': 'x', 'xharbormaster.io/quota-profile': 'large' }),
    denials: [],
  },
  { name: 'CREATE without platform annotations: allowed', operation: 'CREATE', object: ns({ 'sidecars.harbormaster.io/inject': 'datadog' }), denials: [] },
  // CREATE and odd values.
  {
    name: 'tenant CREATE with platform annotations is denied, one message per key',
    operation: 'CREATE',
    object: ns({ ...small, 'harbormaster.io/allow-best-effort': 'true' }),
    denials: [`${BE} may be set only by the platform ${tenantIs('tenant')}`, `${QP} may be set only by the platform ${tenantIs('tenant')}`],
  },
  {
    name: 'platform CREATE with platform annotations: allowed',
    operation: 'CREATE',
    username: 'admin',
    groups: ['system:masters'],
    object: ns(small),
    denials: [],
  },
  {
    name: 'a value that is not a string counts as a change, even if equal',
    old: ns({ 'harbormaster.io/allow-best-effort': true }),
    object: ns({ 'harbormaster.io/allow-best-effort': true }),
    denials: [`${BE} may be changed only by the platform ${tenantIs('tenant')}`],
  },
  {
    name: 'a string turned into a number is a change',
    old: ns({ 'harbormaster.io/quota-profile': '1' }),
    object: ns({ 'harbormaster.io/quota-profile': 1 }),
    denials: [`${QP} may be changed only by the platform ${tenantIs('tenant')}`],
  },
  {
    name: 'a request without a username is a tenant',
    username: '',
    old: ns(),
    object: ns(small),
    denials: [`${QP} may be set only by the platform ${tenantIs('')}`],
  },
];

describe('tenancy.platform-annotations', () => {
  for (const c of cases) {
    it(c.name, () => {
      const operation = c.operation ?? 'UPDATE';
      const request = admissionRequest(c.object, {
        operation,
        ...(c.username !== undefined ? { username: c.username } : {}),
        ...(c.groups ? { groups: c.groups } : {}),
        ...(operation === 'UPDATE' ? { oldObject: c.old ?? null } : {}),
      });
      const d = evaluate({ policy: tenancyValidate, request, cluster, config });
      assert.deepEqual(
        d.denials.map((x) => x.message),
        c.denials,
      );
      assert.ok(d.denials.every((x) => x.rule === 'tenancy.platform-annotations'));
      assert.equal(d.allowed, c.denials.length === 0);
    });
  }

  it('stops at 20 messages, then "… and N more"', () => {
    const many = Object.fromEntries(Array.from({ length: 25 }, (_, i) => [`harbormaster.io/k${String(i).padStart(2, '0')}`, 'v']));
    const d = evaluate({ policy: tenancyValidate, request: admissionRequest(ns(many), { operation: 'CREATE' }), cluster, config });
    assert.equal(d.denials.length, 21);
    assert.equal(d.denials[20]?.message, '… and 5 more');
  });

  it('key names are shown escaped: no raw control characters reach the message', () => {
    const d = evaluate({ policy: tenancyValidate, request: admissionRequest(ns({ 'harbormaster.io/a\nb': 'v' }), { operation: 'CREATE' }), cluster, config });
    assert.equal(d.denials[0]?.message, `metadata.annotations["harbormaster.io/a\\nb"] may be set only by the platform ${tenantIs('tenant')}`);
  });

  it('system namespaces are never evaluated (the engine skips them)', () => {
    const kube = { ...ns(small), metadata: { name: 'kube-system', annotations: small } };
    const d = evaluate({ policy: tenancyValidate, request: admissionRequest(kube, { operation: 'CREATE' }), cluster, config });
    assert.equal(d.allowed, true);
  });

  it('the webhook also sees the status and finalize subresources, fail-closed, behind a CEL filter', () => {
    assert.deepEqual(
      tenancyValidate.webhook.rules.flatMap((r) => r.resources),
      ['namespaces', 'namespaces/status', 'namespaces/finalize'],
    );
    assert.deepEqual([tenancyValidate.webhook.failurePolicy, tenancyValidate.webhook.namespaced], ['Fail', true]);
    assert.match(tenancyValidate.webhook.matchConditions?.[0]?.expression ?? '', /k\.startsWith\('harbormaster\.io\/'\)/);
  });

  it('a status-subresource write is judged like any other update', () => {
    const request = {
      ...admissionRequest(ns({ 'harbormaster.io/quota-profile': 'large' }), { operation: 'UPDATE', oldObject: ns(small) }),
      subResource: 'status',
    };
    const d = evaluate({ policy: tenancyValidate, request, cluster, config });
    assert.deepEqual(
      d.denials.map((x) => x.message),
      [`${QP} may be changed only by the platform ${tenantIs('tenant')}`],
    );
  });

  it('exemptions from the policy file apply to the rule', () => {
    const exempted = { ...config, exemptions: [{ rule: 'tenancy.platform-annotations', namespaces: ['team-a'], reason: 'test' }] };
    const d = evaluate({ policy: tenancyValidate, request: admissionRequest(ns(small), { operation: 'CREATE' }), cluster, config: exempted });
    assert.equal(d.allowed, true);
  });
});

describe('isPlatform', () => {
  const table: Array<{ name: string; user: { username?: string; groups?: unknown }; want: boolean }> = [
    { name: 'listed user', user: { username: 'ops-alice' }, want: true },
    { name: 'listed group', user: { username: 'x', groups: ['a', 'platform-team'] }, want: true },
    { name: 'listed ServiceAccount', user: { username: 'system:serviceaccount:gitops:argocd' }, want: true },
    { name: "Harbormaster's ServiceAccount", user: { username: 'system:serviceaccount:harbormaster-system:harbormaster' }, want: true },
    { name: 'case matters', user: { username: 'OPS-ALICE' }, want: false },
    { name: 'prefix of a user is not the user', user: { username: 'ops-alice2' }, want: false },
    {
      name: 'ServiceAccount group of the namespace is not the ServiceAccount',
      user: { username: 'x', groups: ['system:serviceaccounts:gitops'] },
      want: false,
    },
    { name: 'groups not an array', user: { username: 'x', groups: 'platform-team' }, want: false },
    { name: 'nobody', user: {}, want: false },
  ];
  for (const t of table) {
    it(`${t.name} → ${t.want}`, () => assert.equal(isPlatform(t.user as never, config), t.want));
  }
});

describe('tenancy in harbormaster review', () => {
  const registry = new PolicyRegistry(builtinPolicies());
  const review = (username: string | undefined) =>
    reviewObject(ns(small), { registry, cluster, config, operation: 'CREATE', namespace: 'default', ...(username ? { username } : {}) });

  it("a Namespace with a platform annotation is denied for a tenant, with the server's message", () => {
    const r = review('alice');
    assert.equal(r.allowed, false);
    assert.deepEqual(r.denials, [{ rule: 'tenancy.platform-annotations', message: `${QP} may be set only by the platform ${tenantIs('alice')}` }]);
    // The very same decision the webhook endpoint makes for that request.
    const d = evaluate({ policy: tenancyValidate, request: admissionRequest(ns(small), { operation: 'CREATE', username: 'alice' }), cluster, config });
    assert.deepEqual(r.denials, d.denials);
  });

  it('is allowed when reviewed as a platform user', () => {
    const r = review('ops-alice');
    assert.deepEqual([r.allowed, r.denials], [true, []]);
  });

  it('UPDATE in review compares the object with itself: no change, allowed', () => {
    const r = reviewObject(ns(small), { registry, cluster, config, operation: 'UPDATE', namespace: 'default', username: 'alice' });
    assert.equal(r.allowed, true);
  });
});

describe('policy config: platform', () => {
  const base = 'resourceDefaults:\n  profiles:\n    default: { quota: { hard: {} }, limits: { container: {} } }\n';

  it('the shipped policy makes cluster-admins the platform', () => {
    assert.deepEqual(loaded.config.platform, { users: [], groups: ['system:masters'], serviceAccounts: [] });
  });

  it('without a platform section, system:masters is the default', () => {
    const r = parseConfig(base);
    assert.ok(r.ok);
    assert.deepEqual(r.config.platform, { users: [], groups: ['system:masters'], serviceAccounts: [] });
  });

  it('a platform section means exactly what it lists; missing lists are empty', () => {
    const r = parseConfig(`${base}platform:\n  serviceAccounts: [gitops/argocd]\n`);
    assert.ok(r.ok, r.ok ? '' : JSON.stringify(r.problems));
    assert.deepEqual(r.config.platform, { users: [], groups: [], serviceAccounts: ['gitops/argocd'] });
  });

  const bad: Array<{ name: string; yaml: string; path: string }> = [
    { name: 'unknown field', yaml: 'platform: { admins: [x] }', path: '/platform/admins' },
    { name: 'ServiceAccount without namespace', yaml: 'platform: { serviceAccounts: [argocd] }', path: '/platform/serviceAccounts/0' },
    {
      name: 'ServiceAccount as a username',
      yaml: 'platform: { serviceAccounts: ["system:serviceaccount:gitops:argocd"] }',
      path: '/platform/serviceAccounts/0',
    },
    { name: 'ServiceAccount with an upper-case namespace', yaml: 'platform: { serviceAccounts: [GitOps/argocd] }', path: '/platform/serviceAccounts/0' },
    { name: 'ServiceAccount with two slashes', yaml: 'platform: { serviceAccounts: [a/b/c] }', path: '/platform/serviceAccounts/0' },
    { name: 'empty user', yaml: 'platform: { users: [""] }', path: '/platform/users/0' },
    { name: 'user with surrounding space', yaml: 'platform: { users: [" alice"] }', path: '/platform/users/0' },
    { name: 'group with a newline', yaml: 'platform: { groups: ["a\\nb"] }', path: '/platform/groups/0' },
    { name: 'group not a string', yaml: 'platform: { groups: [1] }', path: '/platform/groups/0' },
    { name: 'duplicate group', yaml: 'platform: { groups: [a, a] }', path: '/platform/groups' },
    { name: 'users not a list', yaml: 'platform: { users: alice }', path: '/platform/users' },
  ];
  for (const b of bad) {
    it(`refuses ${b.name} (${b.path})`, () => {
      const r = parseConfig(`${base}${b.yaml}\n`);
      assert.equal(r.ok, false);
      const paths = r.ok ? [] : r.problems.map((p) => p.path);
      assert.ok(paths.includes(b.path), `${b.path} in ${JSON.stringify(paths)}`);
    });
  }

  it('accepts usernames with the characters identity providers use', () => {
    const r = parseConfig(
      `${base}platform:\n  users: ["alice@example.com", "oidc:https://idp.example.com#bob", "Jörg Müller"]\n  groups: ["system:masters", "team/platform"]\n`,
    );
    assert.ok(r.ok, r.ok ? '' : JSON.stringify(r.problems));
  });
});
