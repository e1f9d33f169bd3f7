/** The ingress policy's rules as the security report prints them: data, one entry per rule id. */
import type { RuleInfo } from '../../policy/types.js';
import { RISK_NAMESPACE_ANNOTATION, RULES } from './names.js';
import { MAX_PATHS, MAX_RULES } from './size.js';

const both = ['CREATE', 'UPDATE'] as const;

export const INGRESS_RULES: readonly RuleInfo[] = [
  {
    id: RULES.size,
    description: `At most ${MAX_RULES} rules and ${MAX_PATHS} paths per Ingress (bounded admission work; split larger ones).`,
    action: 'deny',
    kinds: ['networking.k8s.io/Ingress'],
    operations: both,
  },
  {
    id: RULES.className,
    description: 'spec.ingressClassName (or the legacy annotation, not both differently) names an allowed class, or the default class applies.',
    action: 'deny',
    kinds: ['networking.k8s.io/Ingress'],
    operations: both,
  },
  {
    id: RULES.knownKeys,
    description: 'Only the documented ingress.harbormaster.io/ keys; unknown keys denied with the closest suggested.',
    action: 'deny',
    kinds: ['networking.k8s.io/Ingress'],
    operations: both,
  },
  {
    id: RULES.controllerValues,
    description:
      'static-vip in a VIP pool the namespace may use; allow-http and ssl-redirect booleans; min/max-replicas 1–100 with min ≤ max; target-cpu-utilization 1–100.',
    action: 'deny',
    kinds: ['networking.k8s.io/Ingress'],
    operations: both,
  },
  {
    id: RULES.nginxAllowList,
    description: 'nginx.ingress.kubernetes.io/ keys must be on the allow-list (see the risk table).',
    action: 'deny',
    kinds: ['networking.k8s.io/Ingress'],
    operations: both,
  },
  {
    id: RULES.nginxRisk,
    description: `Critical keys (every snippet key, under any controller prefix) are always denied; High keys need ${RISK_NAMESPACE_ANNOTATION}: "high" on the namespace.`,
    action: 'deny',
    kinds: ['networking.k8s.io/Ingress'],
    operations: both,
  },
  {
    id: RULES.nginxValues,
    description: "Values of allowed nginx keys match a grammar as strict as the controller's own (header names, origins, URLs, paths, cipher lists…).",
    action: 'deny',
    kinds: ['networking.k8s.io/Ingress'],
    operations: both,
  },
  {
    id: RULES.unsafeChars,
    description: 'No controller annotation value may contain a control character, newline, {, } or ;.',
    action: 'deny',
    kinds: ['networking.k8s.io/Ingress'],
    operations: both,
  },
  {
    id: RULES.host,
    description: 'Hosts are DNS-1123 names; * only as the whole leftmost label.',
    action: 'deny',
    kinds: ['networking.k8s.io/Ingress'],
    operations: both,
  },
  {
    id: RULES.hostUnique,
    description:
      'A whole host belongs to the namespace of its oldest Ingress; a wildcard covers the hosts one label below it, both ways; another namespace may use a host only if the owning Ingress names it in harbormaster.io/share-with, and then with no overlapping path (regex and ImplementationSpecific paths own their literal prefix).',
    action: 'deny',
    kinds: ['networking.k8s.io/Ingress'],
    operations: both,
  },
  {
    id: RULES.catchAll,
    description:
      'An empty host or spec.defaultBackend claims the class catch-all: only in namespaces listed in ingress.catchAllNamespaces, and one owner per class (the oldest, sharing by consent).',
    action: 'deny',
    kinds: ['networking.k8s.io/Ingress'],
    operations: both,
  },
  {
    id: RULES.vipOwner,
    description:
      "static-vip follows the Service VIP rules: the oldest holder's namespace owns the VIP, sharing only with its share-with consent, no port clash with Services on it (an Ingress holds 80 and 443).",
    action: 'deny',
    kinds: ['networking.k8s.io/Ingress'],
    operations: both,
  },
  {
    id: RULES.shareWith,
    description: 'harbormaster.io/share-with is a comma-separated list of namespace names.',
    action: 'deny',
    kinds: ['networking.k8s.io/Ingress'],
    operations: both,
  },
  {
    id: RULES.tlsSecret,
    description: 'A TLS secretName must be a kubernetes.io/tls Secret in the same namespace.',
    action: 'deny',
    kinds: ['networking.k8s.io/Ingress'],
    operations: both,
  },
  { id: RULES.tlsHosts, description: 'Warns about TLS hosts that no rule serves.', action: 'warn', kinds: ['networking.k8s.io/Ingress'], operations: both },
  {
    id: RULES.pathType,
    description: `Every path has a pathType; ImplementationSpecific paths need ${RISK_NAMESPACE_ANNOTATION}: "high" on the namespace.`,
    action: 'deny',
    kinds: ['networking.k8s.io/Ingress'],
    operations: both,
  },
  {
    id: RULES.references,
    description: "Annotations naming a Secret or Service (<ns>/<name> forms and in-cluster URLs included) must name one in the Ingress's own namespace.",
    action: 'deny',
    kinds: ['networking.k8s.io/Ingress'],
    operations: both,
  },
  {
    id: RULES.path,
    description: 'Paths start with /, are at most 512 characters of A-Za-z0-9 -._~/ and %XX (plus ^$*+?()[]| with use-regex), and regex paths compile.',
    action: 'deny',
    kinds: ['networking.k8s.io/Ingress'],
    operations: both,
  },
];
