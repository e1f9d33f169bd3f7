/**
 * Runs one policy on one request. Cross-cutting filters live here, not in the
 * policies: system namespaces are never subject to tenant rules, and
 * exemptions from the policy file drop the exempted rules' findings.
 */
import type { ClusterView } from '../policy/view.js';
import type { PolicyConfig } from '../config/types.js';
import { DecisionBuilder, type Decision } from '../policy/decision.js';
import type { Policy } from '../policy/types.js';
import type { AdmissionRequest } from '../kube/types.js';

export interface EvaluateInput {
  policy: Policy;
  request: AdmissionRequest;
  cluster: ClusterView;
  config: PolicyConfig;
}

/** The namespace a request belongs to; a Namespace object belongs to itself. */
export function requestNamespace(request: AdmissionRequest): string | undefined {
  if (request.kind.kind === 'Namespace' && request.kind.group === '') {
    return request.name || request.object?.metadata?.name || request.oldObject?.metadata?.name;
  }
  return request.namespace || request.object?.metadata?.namespace || undefined;
}

/** Why a request is not evaluated at all, or undefined when it is. */
export function skipReason(request: AdmissionRequest, config: PolicyConfig): string | undefined {
  const ns = requestNamespace(request);
  if (ns !== undefined && config.systemNamespaces.includes(ns)) return `system namespace ${ns}`;
  return undefined;
}

function exemptionMatcher(config: PolicyConfig, namespace: string | undefined): (rule: string) => boolean {
  if (namespace === undefined || config.exemptions.length === 0) return () => false;
  const matching = config.exemptions.filter((e) => e.namespaces.includes(namespace));
  if (matching.length === 0) return () => false;
  return (rule) =>
    matching.some((e) => e.rule === rule || (e.rule.endsWith('.*') && rule.startsWith(e.rule.slice(0, -1))));
}

export function evaluate({ policy, request, cluster, config }: EvaluateInput): Decision {
  const object = request.operation === 'DELETE' ? request.oldObject : request.object;
  if (skipReason(request, config) !== undefined) {
    return { allowed: true, denials: [], warnings: [], patch: [], ...(object ? { mutated: object } : {}) };
  }
  const out = new DecisionBuilder({
    object: policy.type === 'mutate' ? request.object : undefined,
    isExempt: exemptionMatcher(config, requestNamespace(request)),
  });
  policy.evaluate({ request, cluster, config }, out);
  const decision = out.build();
  if (policy.type === 'validate') decision.mutated = object ?? undefined;
  return decision;
}
