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
import { checkSize, MAX_PATHS, MAX_RULES } from './size.js';
import { LEGACY_CLASS_ANNOTATION, RISK_NAMESPACE_ANNOTATION, RULES } from './names.js';
import { NGINX_ANNOTATIONS } from './nginx-annotations.js';
import { checkPaths } from './paths.js';


function checkClass({ request, config }: PolicyInput, spec: Rec, out: DecisionBuilder): void {
  const className = typeof spec.ingressClassName === 'string' ? spec.ingressClassName : undefined;
  const legacy = request.object?.metadata?.annotations?.[LEGACY_CLASS_ANNOTATION];
  const allowed = config.ingress.classes.map((c) => c.name);
  if (className !== undefined && legacy !== undefined && className !== legacy) {
    out.deny(RULES.className, `spec.ingressClassName "${className}" and metadata.annotations["${LEGACY_CLASS_ANNOTATION}"] ${shown(legacy)} differ; set spec.ingressClassName only`);
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
    out.deny(RULES.className, `${className !== undefined ? 'spec.ingressClassName' : `metadata.annotations["${LEGACY_CLASS_ANNOTATION}"]`} ${shown(effective)} is not an allowed class; use one of: ${allowed.join(', ')}`);
  }
}

/** Host syntax and pathType per rule; returns the hosts served and those that failed the syntax check. */
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
    arr(rec(rule.http)?.paths).forEach((p, j) => {
      const path = rec(p) ?? {};
      if (typeof path.pathType !== 'string') out.deny(RULES.pathType, `spec.rules[${i}].http.paths[${j}].pathType is required: Exact, Prefix or ImplementationSpecific`);
    });
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

const both = ['CREATE', 'UPDATE'] as const;
export const ingressValidate: Policy = {
  name: 'ingress',
  type: 'validate',
  description: 'Validates Ingresses for the platform ingress controller: class, annotations, host ownership, TLS.',
  rules: [
    { id: RULES.size, description: `At most ${MAX_RULES} rules and ${MAX_PATHS} paths per Ingress (bounded admission work; split larger ones).`, action: 'deny', kinds: ['networking.k8s.io/Ingress'], operations: both },
    { id: RULES.className, description: 'spec.ingressClassName (or the legacy annotation, not both differently) names an allowed class, or the default class applies.', action: 'deny', kinds: ['networking.k8s.io/Ingress'], operations: both },
    { id: RULES.knownKeys, description: 'Only the documented ingress.harbormaster.io/ keys; unknown keys denied with the closest suggested.', action: 'deny', kinds: ['networking.k8s.io/Ingress'], operations: both },
    { id: RULES.controllerValues, description: 'static-vip in a VIP pool the namespace may use; allow-http and ssl-redirect booleans; min/max-replicas 1–100 with min ≤ max; target-cpu-utilization 1–100.', action: 'deny', kinds: ['networking.k8s.io/Ingress'], operations: both },
    { id: RULES.nginxAllowList, description: 'nginx.ingress.kubernetes.io/ keys must be on the allow-list (see the risk table).', action: 'deny', kinds: ['networking.k8s.io/Ingress'], operations: both },
    { id: RULES.nginxRisk, description: `Critical keys (every snippet key, under any controller prefix) are always denied; High keys need ${RISK_NAMESPACE_ANNOTATION}: "high" on the namespace.`, action: 'deny', kinds: ['networking.k8s.io/Ingress'], operations: both },
    { id: RULES.nginxValues, description: 'Values of allowed nginx keys match a grammar as strict as the controller\'s own (header names, origins, URLs, paths, cipher lists…).', action: 'deny', kinds: ['networking.k8s.io/Ingress'], operations: both },
    { id: RULES.unsafeChars, description: 'No controller annotation value may contain a control character, newline, {, } or ;.', action: 'deny', kinds: ['networking.k8s.io/Ingress'], operations: both },
    { id: RULES.host, description: 'Hosts are DNS-1123 names; * only as the whole leftmost label.', action: 'deny', kinds: ['networking.k8s.io/Ingress'], operations: both },
    { id: RULES.hostUnique, description: 'A whole host belongs to the namespace of its oldest Ingress; a wildcard covers the hosts one label below it, both ways; another namespace may use a host only if the owning Ingress names it in harbormaster.io/share-with, and then with no overlapping path (regex and ImplementationSpecific paths own their literal prefix).', action: 'deny', kinds: ['networking.k8s.io/Ingress'], operations: both },
    { id: RULES.catchAll, description: 'An empty host or spec.defaultBackend claims the class catch-all: only in namespaces listed in ingress.catchAllNamespaces, and one owner per class (the oldest, sharing by consent).', action: 'deny', kinds: ['networking.k8s.io/Ingress'], operations: both },
    { id: RULES.vipOwner, description: 'static-vip follows the Service VIP rules: the oldest holder\'s namespace owns the VIP, sharing only with its share-with consent, no port clash with Services on it (an Ingress holds 80 and 443).', action: 'deny', kinds: ['networking.k8s.io/Ingress'], operations: both },
    { id: RULES.shareWith, description: 'harbormaster.io/share-with is a comma-separated list of namespace names.', action: 'deny', kinds: ['networking.k8s.io/Ingress'], operations: both },
    { id: RULES.tlsSecret, description: 'A TLS secretName must be a kubernetes.io/tls Secret in the same namespace.', action: 'deny', kinds: ['networking.k8s.io/Ingress'], operations: both },
    { id: RULES.tlsHosts, description: 'Warns about TLS hosts that no rule serves.', action: 'warn', kinds: ['networking.k8s.io/Ingress'], operations: both },
    { id: RULES.pathType, description: `Every path has a pathType; ImplementationSpecific paths need ${RISK_NAMESPACE_ANNOTATION}: "high" on the namespace.`, action: 'deny', kinds: ['networking.k8s.io/Ingress'], operations: both },
    { id: RULES.references, description: 'Annotations naming a Secret or Service (<ns>/<name> forms and in-cluster URLs included) must name one in the Ingress\'s own namespace.', action: 'deny', kinds: ['networking.k8s.io/Ingress'], operations: both },
    { id: RULES.path, description: 'Paths start with /, are at most 512 characters of A-Za-z0-9 -._~/ and %XX (plus ^$*+?()[]| with use-regex), and regex paths compile.', action: 'deny', kinds: ['networking.k8s.io/Ingress'], operations: both },
  ],
  webhook: {
    rules: [{ apiGroups: ['networking.k8s.io'], apiVersions: ['v1'], resources: ['ingresses'], operations: ['CREATE', 'UPDATE'], scope: 'Namespaced' }],
    failurePolicy: 'Fail',
    failurePolicyReason:
      'Fail-closed: an unchecked Ingress can take over another tenant\'s host or inject controller configuration; Ingress writes are rare and system namespaces are excluded.',
    namespaced: true,
  },
  evaluate,
};

/** The risk table, for the security report. */
export function nginxRiskTable(): Array<{ key: string; risk: string; type: string; why?: string }> {
  return NGINX_ANNOTATIONS.map((a) => ({ key: `nginx.ingress.kubernetes.io/${a.key}`, risk: a.risk, type: a.type.kind, ...(a.why ? { why: a.why } : {}) }));
}
