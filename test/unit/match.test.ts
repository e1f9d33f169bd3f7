/**
 * Request matching (src/admission/match.ts), table-driven: which requests a
 * policy runs on and which of its rules can fire, and that every policy's
 * webhook rules and its rules' declarations say the same thing.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { evaluate } from '../../src/admission/engine.js';
import { parseDeclaredKind, policyApplies, resourceOf, ruleApplies, skipReason, webhookRuleMatches } from '../../src/admission/match.js';
import type { AdmissionRequest, Operation } from '../../src/kube/types.js';
import { storeFromObjects } from '../../src/cluster/static.js';
import { loadConfigFile } from '../../src/config/load.js';
import { DEFAULT_POLICY_FILE } from '../../src/paths.js';
import { builtinPolicies } from '../../src/policies/index.js';
import { resourceDefaultsMutate } from '../../src/policies/resource-defaults/mutate.js';
import { resourceDefaultsValidate } from '../../src/policies/resource-defaults/validate.js';
import { tenancyValidate } from '../../src/policies/tenancy/validate.js';
import { ingressValidate } from '../../src/policies/ingress/validate.js';
import type { Policy, WebhookResourceRule } from '../../src/policy/types.js';

const loaded = loadConfigFile(DEFAULT_POLICY_FILE);
if (!loaded.ok) throw new Error('shipped policy invalid');
const config = loaded.config;
const policies = builtinPolicies();
const byPath = (path: string): Policy => {
  const p = policies.find((x) => `/${x.type}/${x.name}` === path);
  if (!p) throw new Error(`no policy ${path}`);
  return p;
};

interface Req {
  /** `group/version/Kind` or `version/Kind` for the core group. */
  gvk: string;
  /** The resource as the API server names it; omitted: derived from the kind, as review does. */
  resource?: string;
  sub?: string;
  op?: Operation;
  ns?: string;
  name?: string;
}

/** A request as the API server would send it (or as a caller naming only the kind would). */
function request(r: Req): AdmissionRequest {
  const parts = r.gvk.split('/');
  const kind = parts.pop() ?? '';
  const version = parts.pop() ?? '';
  const group = parts.join('/');
  return {
    uid: 'u',
    kind: { group, version, kind },
    resource: { group, version, resource: r.resource ?? '' },
    ...(r.sub !== undefined ? { subResource: r.sub } : {}),
    operation: r.op ?? 'CREATE',
    userInfo: { username: 'tenant' },
    ...(r.ns !== undefined ? { namespace: r.ns } : {}),
    ...(r.name !== undefined ? { name: r.name } : {}),
    object: {
      apiVersion: group ? `${group}/${version}` : version,
      kind,
      metadata: { name: r.name ?? 'x', ...(r.ns !== undefined ? { namespace: r.ns } : {}) },
    },
  };
}

describe('match: policyApplies (webhook rules)', () => {
  const cases: Array<{ name: string; policy: string; req: Req; applies: boolean }> = [
    // kinds and groups
    {
      name: 'a Pod reaches the defaulting webhook',
      policy: '/mutate/resource-defaults',
      req: { gvk: 'v1/Pod', resource: 'pods', ns: 'team-a' },
      applies: true,
    },
    { name: 'a Pod named only by its kind (review) too', policy: '/mutate/resource-defaults', req: { gvk: 'v1/Pod', ns: 'team-a' }, applies: true },
    { name: 'a Pod kind in another group does not', policy: '/mutate/resource-defaults', req: { gvk: 'example.com/v1/Pod', ns: 'team-a' }, applies: false },
    {
      name: 'a Secret does not reach the Pod webhook',
      policy: '/mutate/resource-defaults',
      req: { gvk: 'v1/Secret', resource: 'secrets', ns: 'team-a' },
      applies: false,
    },
    {
      name: 'an apps/v1 Deployment reaches resource-defaults validate',
      policy: '/validate/resource-defaults',
      req: { gvk: 'apps/v1/Deployment', resource: 'deployments', ns: 'team-a' },
      applies: true,
    },
    { name: 'a core-group "Deployment" does not', policy: '/validate/resource-defaults', req: { gvk: 'v1/Deployment', ns: 'team-a' }, applies: false },
    { name: 'a batch/v1 CronJob does', policy: '/validate/resource-defaults', req: { gvk: 'batch/v1/CronJob', ns: 'team-a' }, applies: true },
    {
      name: 'a networking.k8s.io Ingress reaches the ingress webhook',
      policy: '/validate/ingress',
      req: { gvk: 'networking.k8s.io/v1/Ingress', resource: 'ingresses', ns: 'team-a' },
      applies: true,
    },
    { name: 'a core-group "Ingress" does not', policy: '/validate/ingress', req: { gvk: 'v1/Ingress', ns: 'team-a' }, applies: false },
    {
      name: 'a Service reaches the loadbalancer webhook',
      policy: '/validate/loadbalancer',
      req: { gvk: 'v1/Service', resource: 'services', ns: 'team-a', op: 'UPDATE' },
      applies: true,
    },
    // versions
    {
      name: 'any version of the Cluster CRD (apiVersions *)',
      policy: '/validate/addons',
      req: { gvk: 'harbormaster.io/v1alpha1/Cluster', resource: 'clusters' },
      applies: true,
    },
    {
      name: 'a Pod of a version the rule does not list',
      policy: '/mutate/resource-defaults',
      req: { gvk: 'v2/Pod', resource: 'pods', ns: 'team-a' },
      applies: false,
    },
    // resources vs subresources
    {
      name: 'pods/resize reaches resource-defaults validate',
      policy: '/validate/resource-defaults',
      req: { gvk: 'v1/Pod', resource: 'pods', sub: 'resize', op: 'UPDATE', ns: 'team-a' },
      applies: true,
    },
    {
      name: 'pods/resize does not reach the defaulting webhook (pods only)',
      policy: '/mutate/resource-defaults',
      req: { gvk: 'v1/Pod', resource: 'pods', sub: 'resize', op: 'UPDATE', ns: 'team-a' },
      applies: false,
    },
    {
      name: 'pods/status reaches neither',
      policy: '/validate/resource-defaults',
      req: { gvk: 'v1/Pod', resource: 'pods', sub: 'status', op: 'UPDATE', ns: 'team-a' },
      applies: false,
    },
    {
      name: 'pods/ephemeralcontainers is not registered',
      policy: '/validate/resource-defaults',
      req: { gvk: 'v1/Pod', resource: 'pods', sub: 'ephemeralcontainers', op: 'UPDATE', ns: 'team-a' },
      applies: false,
    },
    {
      name: 'namespaces/status reaches tenancy',
      policy: '/validate/tenancy',
      req: { gvk: 'v1/Namespace', resource: 'namespaces', sub: 'status', op: 'UPDATE', ns: 'team-a', name: 'team-a' },
      applies: true,
    },
    {
      name: 'namespaces/finalize reaches tenancy',
      policy: '/validate/tenancy',
      req: { gvk: 'v1/Namespace', resource: 'namespaces', sub: 'finalize', op: 'UPDATE', ns: 'team-a', name: 'team-a' },
      applies: true,
    },
    {
      name: 'namespaces/status does not reach resource-defaults validate',
      policy: '/validate/resource-defaults',
      req: { gvk: 'v1/Namespace', resource: 'namespaces', sub: 'status', op: 'UPDATE', ns: 'team-a', name: 'team-a' },
      applies: false,
    },
    {
      name: 'a Cluster status update is not intercepted',
      policy: '/validate/addons',
      req: { gvk: 'harbormaster.io/v1alpha1/Cluster', resource: 'clusters', sub: 'status', op: 'UPDATE' },
      applies: false,
    },
    // operations
    {
      name: 'a Pod UPDATE does not reach the defaulting webhook',
      policy: '/mutate/resource-defaults',
      req: { gvk: 'v1/Pod', resource: 'pods', op: 'UPDATE', ns: 'team-a' },
      applies: false,
    },
    {
      name: 'a Pod DELETE does not reach resource-defaults validate',
      policy: '/validate/resource-defaults',
      req: { gvk: 'v1/Pod', resource: 'pods', op: 'DELETE', ns: 'team-a' },
      applies: false,
    },
    {
      name: 'a LimitRange DELETE does',
      policy: '/validate/resource-defaults',
      req: { gvk: 'v1/LimitRange', resource: 'limitranges', op: 'DELETE', ns: 'team-a' },
      applies: true,
    },
    {
      name: 'a Namespace CREATE reaches tenancy',
      policy: '/validate/tenancy',
      req: { gvk: 'v1/Namespace', resource: 'namespaces', ns: 'team-a', name: 'team-a' },
      applies: true,
    },
    {
      name: 'namespaces/status CREATE does not (UPDATE only)',
      policy: '/validate/tenancy',
      req: { gvk: 'v1/Namespace', resource: 'namespaces', sub: 'status', ns: 'team-a', name: 'team-a' },
      applies: false,
    },
    {
      name: 'CONNECT reaches no one',
      policy: '/validate/ingress',
      req: { gvk: 'networking.k8s.io/v1/Ingress', resource: 'ingresses', op: 'CONNECT', ns: 'team-a' },
      applies: false,
    },
    // scope
    {
      name: 'a Namespace is cluster-scoped though its request names it as namespace',
      policy: '/validate/tenancy',
      req: { gvk: 'v1/Namespace', resource: 'namespaces', name: 'team-a', ns: 'team-a' },
      applies: true,
    },
    {
      name: 'a Namespace with no namespace field too',
      policy: '/validate/tenancy',
      req: { gvk: 'v1/Namespace', resource: 'namespaces', name: 'team-a' },
      applies: true,
    },
    {
      name: 'a namespaced "Cluster" is not the cluster-scoped CRD',
      policy: '/validate/addons',
      req: { gvk: 'harbormaster.io/v1alpha1/Cluster', resource: 'clusters', ns: 'team-a' },
      applies: false,
    },
    { name: 'a Pod without a namespace is not namespaced', policy: '/mutate/resource-defaults', req: { gvk: 'v1/Pod', resource: 'pods' }, applies: false },
  ];
  for (const c of cases) {
    it(c.name, () => assert.equal(policyApplies(byPath(c.policy), request(c.req)), c.applies));
  }
});

describe('match: webhook rule entries', () => {
  const rule = (resources: string[], scope?: WebhookResourceRule['scope']): WebhookResourceRule => ({
    apiGroups: ['*'],
    apiVersions: ['*'],
    resources,
    operations: ['UPDATE'],
    ...(scope ? { scope } : {}),
  });
  const pod = (sub?: string): AdmissionRequest => request({ gvk: 'v1/Pod', resource: 'pods', op: 'UPDATE', ns: 'team-a', ...(sub ? { sub } : {}) });
  const cases: Array<[string, WebhookResourceRule, AdmissionRequest, boolean]> = [
    ['"pods" is the resource itself', rule(['pods']), pod(), true],
    ['"pods" is none of its subresources', rule(['pods']), pod('status'), false],
    ['"pods/resize" is only that subresource', rule(['pods/resize']), pod('resize'), true],
    ['"pods/resize" is not the resource', rule(['pods/resize']), pod(), false],
    ['"pods/*" is every subresource', rule(['pods/*']), pod('status'), true],
    // The API server compares "*" with the subresource, the empty one included.
    ['"pods/*" covers the resource itself too', rule(['pods/*']), pod(), true],
    ['"*" is every resource', rule(['*']), pod(), true],
    ['"*" is no subresource', rule(['*']), pod('status'), false],
    ['"*/status" is status of anything', rule(['*/status']), pod('status'), true],
    ['"*/*" is everything', rule(['*/*']), pod('resize'), true],
    ['scope Namespaced: a Pod', rule(['*'], 'Namespaced'), pod(), true],
    ['scope Cluster: not a Pod', rule(['*'], 'Cluster'), pod(), false],
    ['scope *: a Pod', rule(['*'], '*'), pod(), true],
    [
      'scope Cluster: a Namespace',
      rule(['*'], 'Cluster'),
      request({ gvk: 'v1/Namespace', resource: 'namespaces', op: 'UPDATE', ns: 'team-a', name: 'team-a' }),
      true,
    ],
    [
      'scope Namespaced: not a Namespace',
      rule(['*'], 'Namespaced'),
      request({ gvk: 'v1/Namespace', resource: 'namespaces', op: 'UPDATE', ns: 'team-a', name: 'team-a' }),
      false,
    ],
    [
      'the resource the API server sent counts even when the kind would not say it',
      rule(['endpoints']),
      request({ gvk: 'v1/Endpoints', resource: 'endpoints', op: 'UPDATE', ns: 'team-a' }),
      true,
    ],
  ];
  for (const [name, r, req, want] of cases) it(name, () => assert.equal(webhookRuleMatches(r, req), want));

  it('resourceOf pluralises the kinds we register', () => {
    assert.deepEqual(['Pod', 'Ingress', 'Policy', 'ResourceQuota', 'Cluster'].map(resourceOf), ['pods', 'ingresses', 'policies', 'resourcequotas', 'clusters']);
  });

  it('parseDeclaredKind reads group, kind and ignores the note', () => {
    assert.deepEqual(parseDeclaredKind('Pod'), { group: '', kind: 'Pod' });
    assert.deepEqual(parseDeclaredKind('apps/Deployment'), { group: 'apps', kind: 'Deployment' });
    assert.deepEqual(parseDeclaredKind('Pod (pods/resize)'), { group: '', kind: 'Pod' });
    assert.deepEqual(parseDeclaredKind('harbormaster.io/Cluster'), { group: 'harbormaster.io', kind: 'Cluster' });
  });
});

describe('match: ruleApplies (declared kinds and operations)', () => {
  const rule = (id: string): Policy['rules'][number] => {
    const r = [...resourceDefaultsValidate.rules, ...tenancyValidate.rules, ...ingressValidate.rules].find((x) => x.id === id);
    if (!r) throw new Error(id);
    return r;
  };
  const cases: Array<[string, string, Req, boolean]> = [
    ['container limits on a Pod', 'resource-defaults.container-limits', { gvk: 'v1/Pod', ns: 'team-a' }, true],
    ['container limits on a resize (still kind Pod)', 'resource-defaults.container-limits', { gvk: 'v1/Pod', sub: 'resize', op: 'UPDATE', ns: 'team-a' }, true],
    ['container limits on a Deployment', 'resource-defaults.container-limits', { gvk: 'apps/v1/Deployment', ns: 'team-a' }, true],
    ['container limits not on a LimitRange', 'resource-defaults.container-limits', { gvk: 'v1/LimitRange', ns: 'team-a' }, false],
    ['container limits not on DELETE', 'resource-defaults.container-limits', { gvk: 'v1/Pod', op: 'DELETE', ns: 'team-a' }, false],
    ['managed objects on DELETE of a LimitRange', 'resource-defaults.managed-objects', { gvk: 'v1/LimitRange', op: 'DELETE', ns: 'team-a' }, true],
    ['managed objects not on a Pod', 'resource-defaults.managed-objects', { gvk: 'v1/Pod', ns: 'team-a' }, false],
    ['known profile on a Namespace', 'resource-defaults.known-profile', { gvk: 'v1/Namespace', name: 'team-a' }, true],
    ['tenancy on a Namespace UPDATE', 'tenancy.platform-annotations', { gvk: 'v1/Namespace', op: 'UPDATE', name: 'team-a' }, true],
    ['ingress rules need the networking.k8s.io group', 'ingress.class', { gvk: 'v1/Ingress', ns: 'team-a' }, false],
  ];
  for (const [name, id, req, want] of cases) {
    it(name, () => assert.equal(ruleApplies(rule(id), request(req)), want));
  }
});

describe('match: the engine', () => {
  const cluster = storeFromObjects([]);

  it('skips system namespaces, a Namespace object by its own name too', () => {
    const sys = config.systemNamespaces;
    assert.equal(
      skipReason({ policy: resourceDefaultsMutate, request: request({ gvk: 'v1/Pod', ns: 'kube-system' }), systemNamespaces: sys }),
      'system namespace kube-system',
    );
    assert.equal(
      skipReason({ policy: tenancyValidate, request: request({ gvk: 'v1/Namespace', name: 'kube-system' }), systemNamespaces: sys }),
      'system namespace kube-system',
    );
    assert.equal(skipReason({ policy: resourceDefaultsMutate, request: request({ gvk: 'v1/Pod', ns: 'team-a' }), systemNamespaces: sys }), undefined);
    assert.match(
      skipReason({ policy: resourceDefaultsMutate, request: request({ gvk: 'v1/Pod', sub: 'resize', op: 'UPDATE', ns: 'team-a' }), systemNamespaces: sys }) ??
        '',
      /not registered for UPDATE of Pod\/resize/,
    );
  });

  /** A policy registered for Pods and Namespaces that denies with every rule, declared or not. */
  const noisy: Policy = {
    name: 'noisy',
    type: 'validate',
    description: 'test',
    rules: [
      { id: 'noisy.pods', description: '', action: 'deny', kinds: ['Pod'], operations: ['CREATE'] },
      { id: 'noisy.namespaces', description: '', action: 'deny', kinds: ['Namespace'], operations: ['CREATE', 'UPDATE'] },
    ],
    webhook: {
      rules: [
        { apiGroups: [''], apiVersions: ['v1'], resources: ['pods'], operations: ['CREATE', 'UPDATE'], scope: 'Namespaced' },
        { apiGroups: [''], apiVersions: ['v1'], resources: ['namespaces'], operations: ['CREATE', 'UPDATE'], scope: 'Cluster' },
      ],
      failurePolicy: 'Fail',
      failurePolicyReason: 'test',
      namespaced: true,
    },
    evaluate: (_input, out) => {
      for (const id of ['noisy.pods', 'noisy.namespaces', 'noisy.undeclared']) out.deny(id, 'no');
    },
  };
  const rulesOf = (req: Req): string[] => evaluate({ policy: noisy, request: request(req), cluster, config }).denials.map((d) => d.rule);

  it('drops findings of rules that do not apply to the kind', () => {
    assert.deepEqual(rulesOf({ gvk: 'v1/Pod', ns: 'team-a' }), ['noisy.pods', 'noisy.undeclared']);
    assert.deepEqual(rulesOf({ gvk: 'v1/Namespace', name: 'team-a' }), ['noisy.namespaces', 'noisy.undeclared']);
  });

  it('drops findings of rules that do not apply to the operation', () => {
    assert.deepEqual(rulesOf({ gvk: 'v1/Pod', op: 'UPDATE', ns: 'team-a' }), ['noisy.undeclared']);
  });

  it('answers allowed and empty when the policy is not registered for the request', () => {
    const d = evaluate({ policy: noisy, request: request({ gvk: 'v1/Secret', ns: 'team-a' }), cluster, config });
    assert.deepEqual({ allowed: d.allowed, denials: d.denials, warnings: d.warnings, patch: d.patch }, { allowed: true, denials: [], warnings: [], patch: [] });
  });
});

describe("match: every policy's declarations agree", () => {
  /** The webhook rules of `policy` that send `kind` (declared form) on `operation`, by bare resource name. */
  const covering = (policy: Policy, declared: string, operation: Operation): WebhookResourceRule[] => {
    const { group, kind } = parseDeclaredKind(declared);
    return policy.webhook.rules.filter(
      (w) =>
        w.operations.includes(operation) &&
        (w.apiGroups.includes('*') || w.apiGroups.includes(group)) &&
        w.resources.some((r) => r === '*' || r.split('/')[0] === resourceOf(kind)),
    );
  };

  for (const policy of policies) {
    it(`/${policy.type}/${policy.name}: each rule's kinds and operations are sent by some webhook rule`, () => {
      for (const rule of policy.rules) {
        assert.ok(rule.kinds.length > 0 && rule.operations.length > 0, `${rule.id} declares kinds and operations`);
        for (const declared of rule.kinds) {
          for (const op of rule.operations) {
            const found = covering(policy, declared, op);
            assert.ok(found.length > 0, `${rule.id}: no webhook rule sends ${op} of ${declared}`);
            // `Pod (pods/resize)`: the named subresource is registered too.
            const note = /\(([^)]+)\)/.exec(declared)?.[1];
            if (note)
              assert.ok(
                found.some((w) => w.resources.includes(note)),
                `${rule.id}: ${note} is not registered`,
              );
          }
        }
      }
    });

    it(`/${policy.type}/${policy.name}: each webhook resource and operation can fire some rule`, () => {
      for (const w of policy.webhook.rules) {
        for (const resource of w.resources) {
          for (const op of w.operations) {
            const fires = policy.rules.some(
              (rule) =>
                rule.operations.includes(op) &&
                rule.kinds.some((declared) => {
                  const { group, kind } = parseDeclaredKind(declared);
                  return resourceOf(kind) === resource.split('/')[0] && (w.apiGroups.includes('*') || w.apiGroups.includes(group));
                }),
            );
            assert.ok(fires, `${op} of ${resource} reaches /${policy.type}/${policy.name} but no rule of it can fire`);
          }
        }
      }
    });
  }
});
