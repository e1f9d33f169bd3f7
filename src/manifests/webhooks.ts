/**
 * Generates the MutatingWebhookConfiguration and ValidatingWebhookConfiguration
 * from the policy registry — one entry per policy path — so the cluster's
 * configuration cannot drift from the code. Used for manifests/webhooks.yaml
 * (Service reference, caBundle injected at run time) and by `harbormaster dev`
 * (URL of the local server, caBundle of the generated CA).
 */
import type { PolicyConfig } from '../config/types.js';
import type { Policy } from '../policy/types.js';

export const WEBHOOK_CONFIG_NAME = 'harbormaster';
export const PART_OF_LABEL = { 'app.kubernetes.io/part-of': 'harbormaster' } as const;

export type ClientTarget =
  | { kind: 'service'; name: string; namespace: string; port: number }
  | { kind: 'url'; baseUrl: string };

export interface WebhookConfigOptions {
  policies: readonly Policy[];
  target: ClientTarget;
  /** PEM of the CA(s) that sign the serving certificate; omitted in the shipped manifests. */
  caBundlePem?: string;
  systemNamespaces: readonly string[];
  /** The policy file the configuration is made for (conditions that depend on it); omitted, those are left out. */
  config?: PolicyConfig;
}

type Obj = Record<string, unknown>;

function clientConfig(policy: Policy, options: WebhookConfigOptions): Obj {
  const path = `/${policy.type}/${policy.name}`;
  const cfg: Obj =
    options.target.kind === 'service'
      ? { service: { name: options.target.name, namespace: options.target.namespace, path, port: options.target.port } }
      : { url: `${options.target.baseUrl}${path}` };
  if (options.caBundlePem) cfg.caBundle = Buffer.from(options.caBundlePem).toString('base64');
  return cfg;
}

function entry(policy: Policy, options: WebhookConfigOptions): Obj {
  const e: Obj = {
    name: `${policy.name}.${policy.type}.harbormaster.io`,
    admissionReviewVersions: ['v1'],
    clientConfig: clientConfig(policy, options),
    rules: policy.webhook.rules.map((r) => ({ ...r })),
    failurePolicy: policy.webhook.failurePolicy,
    matchPolicy: 'Equivalent',
    sideEffects: 'None',
    timeoutSeconds: 5,
  };
  // Requests in system namespaces never reach us: the cluster cannot lock itself out through Harbormaster.
  e.namespaceSelector = {
    matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: [...options.systemNamespaces] }],
  };
  const conditions = [...(policy.webhook.matchConditions ?? []), ...(options.config && policy.webhook.matchConditionsFor ? policy.webhook.matchConditionsFor(options.config) : [])];
  if (conditions.length > 0) e.matchConditions = conditions.map((c) => ({ ...c }));
  if (policy.type === 'mutate') e.reinvocationPolicy = 'IfNeeded';
  return e;
}

export function webhookConfigurations(options: WebhookConfigOptions): Obj[] {
  const of = (type: Policy['type']) => options.policies.filter((p) => p.type === type).map((p) => entry(p, options));
  return [
    {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'MutatingWebhookConfiguration',
      metadata: { name: WEBHOOK_CONFIG_NAME, labels: { ...PART_OF_LABEL } },
      webhooks: of('mutate'),
    },
    {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingWebhookConfiguration',
      metadata: { name: WEBHOOK_CONFIG_NAME, labels: { ...PART_OF_LABEL } },
      webhooks: of('validate'),
    },
  ];
}
