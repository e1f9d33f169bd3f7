/**
 * What `harbormaster audit` lists: every resource a validating policy's
 * webhook rules send us on CREATE (subresources aside), derived from the
 * registry so a new policy is audited without touching this file, plus the
 * collections the cluster view is built from (the informers' feeds).
 */
import { parseDeclaredKind, resourceOf } from '../admission/match.js';
import { FEEDS, WATCHED_SECRET_TYPES } from '../cluster/informers.js';
import type { Policy } from '../policy/types.js';

export interface ListTarget {
  group: string;
  /** A version, or `*` when the webhook rule takes any (resolved by discovery). */
  version: string;
  resource: string;
  kind: string;
  namespaced: boolean;
  /** One list per selector (Secrets: one per type a policy reads); none means one unfiltered list. */
  fieldSelectors: string[];
  /** Evaluated by the validating policies (true) or only read into the cluster view. */
  audited: boolean;
}

/**
 * Secret data is fetched only for the Secret types some policy reads (the
 * informers' selectors): a Secret of another type cannot match any rule
 * (cloud-credentials' matchConditions), so its data is never listed.
 */
function selectorsFor(group: string, resource: string): string[] {
  return group === '' && resource === 'secrets' ? WATCHED_SECRET_TYPES.map((t) => `type=${t}`) : [];
}

/** The kind a webhook rule's resource stands for, from the kinds the policy's rules declare. */
function kindOf(policy: Policy, group: string, resource: string): string | undefined {
  for (const rule of policy.rules) {
    for (const declared of rule.kinds) {
      const k = parseDeclaredKind(declared);
      if (k.group === group && resourceOf(k.kind) === resource) return k.kind;
    }
  }
  return undefined;
}

function key(t: Pick<ListTarget, 'group' | 'resource'>): string {
  return `${t.group}/${t.resource}`;
}

/** The resources the validating policies cover, in registry order, each once. */
export function auditedTargets(policies: readonly Policy[]): ListTarget[] {
  const out = new Map<string, ListTarget>();
  for (const policy of policies) {
    if (policy.type !== 'validate') continue;
    for (const rule of policy.webhook.rules) {
      if (!rule.operations.includes('CREATE')) continue;
      for (const group of rule.apiGroups) {
        for (const resource of rule.resources) {
          if (resource.includes('/') || resource === '*' || group === '*') continue;
          const kind = kindOf(policy, group, resource);
          if (kind === undefined || out.has(key({ group, resource }))) continue;
          const version = rule.apiVersions.includes('*') ? '*' : (rule.apiVersions[0] ?? 'v1');
          out.set(key({ group, resource }), {
            group,
            version,
            resource,
            kind,
            namespaced: rule.scope !== 'Cluster',
            fieldSelectors: selectorsFor(group, resource),
            audited: true,
          });
        }
      }
    }
  }
  return [...out.values()];
}

/** The audited resources plus the view's other feeds (ServiceAccounts, IngressClasses), each listed once. */
export function listTargets(policies: readonly Policy[]): ListTarget[] {
  const audited = auditedTargets(policies);
  const byKey = new Map(audited.map((t) => [key(t), t]));
  for (const feed of FEEDS) {
    const [group, version] = feed.apiVersion.includes('/') ? (feed.apiVersion.split('/') as [string, string]) : ['', feed.apiVersion];
    const resource = resourceOf(feed.kind);
    if (byKey.has(key({ group, resource }))) continue;
    const target: ListTarget = {
      group,
      version,
      resource,
      kind: feed.kind,
      // Only audited objects become requests; a view feed's scope is never asked.
      namespaced: false,
      fieldSelectors: selectorsFor(group, resource),
      audited: false,
    };
    byKey.set(key(target), target);
  }
  return [...byKey.values()];
}
