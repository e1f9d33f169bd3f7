/**
 * Runs one policy on one request. Cross-cutting filters live here, not in the
 * policies (match.ts decides them): a request the policy is not registered
 * for, or one in a system namespace, gets an allowed, empty decision; findings
 * of rules that do not apply to the request's kind and operation, and of
 * rules the policy file exempts or switches off, are dropped by the
 * DecisionBuilder; rule modes (warn, audit) demote the rest there too.
 */
import type { ClusterView } from '../policy/view.js';
import type { PolicyConfig } from '../config/types.js';
import { DecisionBuilder, type Decision } from '../policy/decision.js';
import type { Policy } from '../policy/types.js';
import { applicableRules, requestNamespace, skipReason } from './match.js';
import { exemptionMatcher, ruleMode } from '../policy/modes.js';
import type { AdmissionRequest } from '../kube/types.js';

export { requestNamespace } from './match.js';

export interface EvaluateInput {
  policy: Policy;
  request: AdmissionRequest;
  cluster: ClusterView;
  config: PolicyConfig;
  /** The instant exemption expiry is judged at, in ms since the epoch (default: now). */
  now?: number;
}

/** The object name exemptions match: a Namespace's own name for Namespace requests, as requestNamespace does. */
function subjectName(request: AdmissionRequest): string | undefined {
  return request.name || request.object?.metadata?.name || request.oldObject?.metadata?.name || undefined;
}

export function evaluate({ policy, request, cluster, config, now }: EvaluateInput): Decision {
  const object = request.operation === 'DELETE' ? request.oldObject : request.object;
  if (skipReason({ policy, request, systemNamespaces: config.systemNamespaces }) !== undefined) {
    return { allowed: true, denials: [], warnings: [], patch: [], findings: [], ...(object ? { mutated: object } : {}) };
  }
  const exempt = exemptionMatcher(config, { namespace: requestNamespace(request), name: subjectName(request) }, now ?? Date.now());
  // No modes in the file (the common case): no per-finding lookup at all.
  const hasModes = Object.keys(config.modes).length > 0;
  const out = new DecisionBuilder({
    object: policy.type === 'mutate' ? request.object : undefined,
    isExempt: hasModes ? (rule) => exempt(rule) || ruleMode(config, rule) === 'off' : exempt,
    ...(hasModes ? { modeOf: (rule: string) => ruleMode(config, rule) } : {}),
    applies: applicableRules(policy, request),
  });
  policy.evaluate({ request, cluster, config }, out);
  const decision = out.build();
  if (policy.type === 'validate') decision.mutated = object ?? undefined;
  return decision;
}
