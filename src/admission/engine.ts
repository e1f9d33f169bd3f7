/**
 * Runs one policy on one request. Cross-cutting filters live here, not in the
 * policies (match.ts decides them): a request the policy is not registered
 * for, or one in a system namespace, gets an allowed, empty decision; findings
 * of rules that do not apply to the request's kind and operation, and of
 * rules the policy file exempts, are dropped by the DecisionBuilder.
 */
import type { ClusterView } from '../policy/view.js';
import type { PolicyConfig } from '../config/types.js';
import { DecisionBuilder, type Decision } from '../policy/decision.js';
import type { Policy } from '../policy/types.js';
import { applicableRules, requestNamespace, skipReason } from './match.js';
import type { AdmissionRequest } from '../kube/types.js';

export { requestNamespace } from './match.js';

export interface EvaluateInput {
  policy: Policy;
  request: AdmissionRequest;
  cluster: ClusterView;
  config: PolicyConfig;
}

function exemptionMatcher(config: PolicyConfig, namespace: string | undefined): (rule: string) => boolean {
  if (namespace === undefined || config.exemptions.length === 0) return () => false;
  const matching = config.exemptions.filter((e) => e.namespaces.includes(namespace));
  if (matching.length === 0) return () => false;
  return (rule) => matching.some((e) => e.rule === rule || (e.rule.endsWith('.*') && rule.startsWith(e.rule.slice(0, -1))));
}

export function evaluate({ policy, request, cluster, config }: EvaluateInput): Decision {
  const object = request.operation === 'DELETE' ? request.oldObject : request.object;
  if (skipReason({ policy, request, systemNamespaces: config.systemNamespaces }) !== undefined) {
    return { allowed: true, denials: [], warnings: [], patch: [], ...(object ? { mutated: object } : {}) };
  }
  const out = new DecisionBuilder({
    object: policy.type === 'mutate' ? request.object : undefined,
    isExempt: exemptionMatcher(config, requestNamespace(request)),
    applies: applicableRules(policy, request),
  });
  policy.evaluate({ request, cluster, config }, out);
  const decision = out.build();
  if (policy.type === 'validate') decision.mutated = object ?? undefined;
  return decision;
}
