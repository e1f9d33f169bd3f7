/**
 * `/validate/ingress`: networking.k8s.io/v1 Ingresses for the platform's
 * ingress controller (SPEC 3.5): class, annotations (controller keys and the
 * nginx allow-list), hosts, host+path ownership across namespaces, TLS.
 */
import type { DecisionBuilder } from '../../policy/decision.js';
import type { Policy, PolicyInput } from '../../policy/types.js';
import { TLS_SECRET_TYPE } from '../../kube/names.js';
import { arr, rec, type Rec } from '../../kube/narrow.js';
import { shown } from '../shared/values.js';
import { checkIngressAnnotations } from './annotations.js';
import { hostProblem } from './hosts.js';
import { checkIngressOwnership } from './ownership.js';
import { INGRESS_RULES } from './rule-list.js';
import { checkSize } from './size.js';
import { LEGACY_CLASS_ANNOTATION, RISK_NAMESPACE_ANNOTATION, RULES } from './names.js';
import { NGINX_ANNOTATIONS } from './nginx-annotations.js';
import { checkPaths } from './paths.js';

function checkClass({ request, config }: PolicyInput, spec: Rec, out: DecisionBuilder): void {
  const className = typeof spec.ingressClassName === 'string' ? spec.ingressClassName : undefined;
  const legacy = request.object?.metadata?.annotations?.[LEGACY_CLASS_ANNOTATION];
  const allowed = config.ingress.classes.map((c) => c.name);
  if (className !== undefined && legacy !== undefined && className !== legacy) {
    out.deny(
      RULES.className,
      `spec.ingressClassName "${className}" and metadata.annotations["${LEGACY_CLASS_ANNOTATION}"] ${shown(legacy)} differ; set spec.ingressClassName only`,
    );
    return;
  }
  const effective = className ?? legacy;
  if (effective === undefined) {
    if (!config.ingress.classes.some((c) => c.default)) {
      out.deny(RULES.className, `spec.ingressClassName is required (no default class is configured); use one of: ${allowed.join(', ')}`);
    }
    return;
  }
  if (!allowed.includes(effective)) {
    out.deny(
      RULES.className,
      `${className !== undefined ? 'spec.ingressClassName' : `metadata.annotations["${LEGACY_CLASS_ANNOTATION}"]`} ${shown(effective)} is not an allowed class; use one of: ${allowed.join(', ')}`,
    );
  }
}

/** Host syntax per rule (paths and their pathType are checked in paths.ts); returns the hosts served and those that failed the syntax check. */
function checkRules(spec: Rec, out: DecisionBuilder): { hosts: Set<string>; invalid: Set<string> } {
  const hosts = new Set<string>();
  const invalid = new Set<string>();
  arr(spec.rules).forEach((r, i) => {
    const rule = rec(r) ?? {};
    const host = typeof rule.host === 'string' ? rule.host : '';
    hosts.add(host);
    if (host !== '') {
      const problem = hostProblem(host);
      if (problem) {
        invalid.add(host);
        out.deny(RULES.host, `spec.rules[${i}].host ${shown(host)} ${problem}`);
        return;
      }
    }
  });
  return { hosts, invalid };
}

function checkTls({ request, cluster }: PolicyInput, spec: Rec, ruleHosts: Set<string>, out: DecisionBuilder): void {
  const ns = request.namespace ?? '';
  arr(spec.tls).forEach((t, i) => {
    const tls = rec(t) ?? {};
    if (typeof tls.secretName === 'string' && tls.secretName) {
      const secret = cluster.getSecret(ns, tls.secretName);
      if (!secret || secret.type !== TLS_SECRET_TYPE) {
        out.deny(RULES.tlsSecret, `spec.tls[${i}].secretName "${tls.secretName}" is not a kubernetes.io/tls Secret in namespace ${ns}; create it there first`);
      }
    }
    for (const h of arr(tls.hosts)) {
      if (typeof h === 'string' && !ruleHosts.has(h)) out.warn(RULES.tlsHosts, `spec.tls[${i}] host "${h}" is served by no rule of this Ingress`);
    }
  });
}

function evaluate(input: PolicyInput, out: DecisionBuilder): void {
  const { request, cluster, config } = input;
  const spec = rec(request.object?.spec) ?? {};
  if (!checkSize(spec, out)) return;
  checkClass(input, spec, out);
  checkIngressAnnotations({
    annotations: request.object?.metadata?.annotations ?? {},
    namespace: request.namespace ?? '',
    namespaceExists: (name) => cluster.getNamespace(name) !== undefined,
    namespaceRisk: cluster.getNamespace(request.namespace ?? '')?.annotations[RISK_NAMESPACE_ANNOTATION],
    config,
    out,
  });
  checkPaths(input, spec, out);
  const { hosts, invalid } = checkRules(spec, out);
  checkIngressOwnership(input, spec, invalid, out);
  checkTls(input, spec, hosts, out);
}

export const ingressValidate: Policy = {
  name: 'ingress',
  type: 'validate',
  description: 'Validates Ingresses for the platform ingress controller: class, annotations, host ownership, TLS.',
  rules: INGRESS_RULES,
  webhook: {
    rules: [{ apiGroups: ['networking.k8s.io'], apiVersions: ['v1'], resources: ['ingresses'], operations: ['CREATE', 'UPDATE'], scope: 'Namespaced' }],
    failurePolicy: 'Fail',
    failurePolicyReason:
      "Fail-closed: an unchecked Ingress can take over another tenant's host or inject controller configuration; Ingress writes are rare and system namespaces are excluded.",
    namespaced: true,
  },
  evaluate,
};

/** The risk table, for the security report. */
export function nginxRiskTable(): Array<{ key: string; risk: string; type: string; why?: string }> {
  return NGINX_ANNOTATIONS.map((a) => ({ key: `nginx.ingress.kubernetes.io/${a.key}`, risk: a.risk, type: a.type.kind, ...(a.why ? { why: a.why } : {}) }));
}
