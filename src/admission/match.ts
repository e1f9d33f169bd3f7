/**
 * Which requests a policy, and each rule of it, applies to: decided here,
 * once, from the registry's declarations, for the HTTPS server and `review`
 * alike. Policies no longer repeat the test at the top of `evaluate`.
 *
 * Two declarations, two questions:
 * - a policy's webhook rules say what the API server sends it (they generate
 *   manifests/webhooks.yaml), so they decide whether the policy runs at all;
 * - each rule's `kinds`/`operations` (printed by the security report) say
 *   which of its rules can fire, so findings of other rules are dropped.
 *
 * Pure predicates, no configuration beyond what is passed in.
 */
import type { Policy, RuleInfo, WebhookResourceRule } from '../policy/types.js';
import type { AdmissionRequest, GroupVersionResource } from '../kube/types.js';

/**
 * Lower-case plural resource name of a kind, as webhook rules name it. Right
 * for every kind Harbormaster registers for; irregular plurals (Endpoints)
 * are not among them.
 */
export function resourceOf(kind: string): string {
  const lower = kind.toLowerCase();
  if (lower.endsWith('s')) return `${lower}es`;
  if (lower.endsWith('y')) return `${lower.slice(0, -1)}ies`;
  return `${lower}s`;
}

/**
 * The resources a request may be for: the one the API server names, and the
 * one its kind implies. Requests synthesised by `review` and by tests carry
 * only a reliable kind, and the API server's own requests always agree with
 * their kind for what we register, so matching either never refuses a
 * request the API server sends (which would let it through unchecked).
 */
function candidateResources(request: AdmissionRequest): GroupVersionResource[] {
  const fromKind = { group: request.kind.group, version: request.kind.version, resource: resourceOf(request.kind.kind) };
  const sent = request.resource;
  return sent && typeof sent.resource === 'string' && sent.resource !== '' ? [sent, fromKind] : [fromKind];
}

/** Whether one `resources` entry names `resource` with `subResource` (`pods`, `pods/resize`, `*`, `pods/*`, `*\/status`). */
function resourceMatches(entry: string, resource: string, subResource: string): boolean {
  const slash = entry.indexOf('/');
  const name = slash < 0 ? entry : entry.slice(0, slash);
  const sub = slash < 0 ? '' : entry.slice(slash + 1);
  if (name !== '*' && name !== resource) return false;
  // `pods` alone means the resource itself, never one of its subresources; `pods/*`, as the
  // API server compares it, covers the resource too.
  return sub === '*' || sub === subResource;
}

/**
 * Whether the request is namespaced, as the API server judges a rule's scope:
 * a Namespace object is cluster-scoped although its requests carry its name
 * as namespace.
 */
function isNamespaceObject(r: GroupVersionResource): boolean {
  return r.group === '' && r.resource === 'namespaces';
}

function scopeMatches(rule: WebhookResourceRule, request: AdmissionRequest, r: GroupVersionResource): boolean {
  if (rule.scope === undefined || rule.scope === '*') return true;
  const cluster = isNamespaceObject(r) || !request.namespace;
  return rule.scope === 'Cluster' ? cluster : !cluster;
}

/** Whether one webhook rule matches the request, as the API server matches it. */
export function webhookRuleMatches(rule: WebhookResourceRule, request: AdmissionRequest): boolean {
  if (!rule.operations.includes(request.operation)) return false;
  const subResource = typeof request.subResource === 'string' ? request.subResource : '';
  return candidateResources(request).some(
    (r) =>
      (rule.apiGroups.includes('*') || rule.apiGroups.includes(r.group)) &&
      (rule.apiVersions.includes('*') || rule.apiVersions.includes(r.version)) &&
      rule.resources.some((entry) => resourceMatches(entry, r.resource, subResource)) &&
      scopeMatches(rule, request, r),
  );
}

/**
 * Whether the API server would send this request to `policy`, by its webhook
 * rules. Not judged here: the namespaceSelector (see `systemNamespaceOf`)
 * and matchConditions, whose CEL the policies implement themselves (tenancy's
 * annotation changes, cloud-credentials' Secret types).
 */
export function policyApplies(policy: Policy, request: AdmissionRequest): boolean {
  return policy.webhook.rules.some((rule) => webhookRuleMatches(rule, request));
}

/** A declared kind, `Pod`, `apps/Deployment` or `Pod (pods/resize)`, as group and kind; the note in parentheses is for readers. */
export function parseDeclaredKind(declared: string): { group: string; kind: string } {
  const bare = declared.replace(/\s*\(.*\)\s*$/, '').trim();
  const slash = bare.lastIndexOf('/');
  return slash < 0 ? { group: '', kind: bare } : { group: bare.slice(0, slash), kind: bare.slice(slash + 1) };
}

/** Whether `rule` can fire on this request: its kind and operation are among the rule's declared ones. */
export function ruleApplies(rule: RuleInfo, request: AdmissionRequest): boolean {
  if (!rule.operations.includes(request.operation)) return false;
  return rule.kinds.some((declared) => {
    const { group, kind } = parseDeclaredKind(declared);
    return kind === request.kind.kind && group === request.kind.group;
  });
}

/** The namespace a request belongs to; a Namespace object belongs to itself. */
export function requestNamespace(request: AdmissionRequest): string | undefined {
  if (request.kind.kind === 'Namespace' && request.kind.group === '') {
    return request.name || request.object?.metadata?.name || request.oldObject?.metadata?.name;
  }
  return request.namespace || request.object?.metadata?.namespace || undefined;
}

/**
 * The system namespace a request belongs to, if any. Every webhook entry's
 * namespaceSelector keeps these away from us; this is the same rule for
 * `review` and for an API server configured by hand.
 */
export function systemNamespaceOf(request: AdmissionRequest, systemNamespaces: readonly string[]): string | undefined {
  const ns = requestNamespace(request);
  return ns !== undefined && systemNamespaces.includes(ns) ? ns : undefined;
}

export interface SkipInput {
  policy: Policy;
  request: AdmissionRequest;
  systemNamespaces: readonly string[];
}

/** Why `policy` does not run on `request` at all, or undefined when it does. */
export function skipReason({ policy, request, systemNamespaces }: SkipInput): string | undefined {
  const ns = systemNamespaceOf(request, systemNamespaces);
  if (ns !== undefined) return `system namespace ${ns}`;
  if (!policyApplies(policy, request)) {
    const sub = request.subResource ? `/${request.subResource}` : '';
    return `not registered for ${request.operation} of ${request.kind.kind}${sub}`;
  }
  return undefined;
}

/**
 * Which of a policy's rule ids can fire on `request`. An id the policy does
 * not declare is kept: dropping it would hide a finding silently.
 */
export function applicableRules(policy: Policy, request: AdmissionRequest): (ruleId: string) => boolean {
  // Decided once per request: the predicate runs on every finding and write.
  const dropped = new Set(policy.rules.filter((r) => !ruleApplies(r, request)).map((r) => r.id));
  if (dropped.size === 0) return () => true;
  return (id) => !dropped.has(id);
}
