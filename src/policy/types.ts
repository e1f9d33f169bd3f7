/**
 * What a policy is. A policy is a pure function of (admission request, a
 * read-only view of cached cluster state, policy config) that writes its
 * findings into a DecisionBuilder. It never performs I/O, never logs and never
 * reads a clock it was not given; that is what lets `harbormaster review` run
 * the very same code offline and lets a reviewer test it without a cluster.
 */
import type { AdmissionRequest, Operation } from '../kube/types.js';
import type { ClusterView } from './view.js';
import type { PolicyConfig } from '../config/types.js';
import type { DecisionBuilder } from './decision.js';

/** What a rule does when it fires, as printed by `harbormaster policies`. */
export type RuleAction = 'deny' | 'warn' | 'mutate' | 'generate';

/** One rule of a policy. `id` is `<policy>.<rule>` and never changes once shipped. */
export interface RuleInfo {
  id: string;
  description: string;
  action: RuleAction;
  /** Kinds this rule looks at, e.g. `Pod`, `apps/Deployment`. */
  kinds: readonly string[];
  operations: readonly Operation[];
  /**
   * `writer`: the rule judges who makes the request (a platform-only
   * setting), not the object. `harbormaster audit` skips it: a stored object
   * does not say who wrote it, and judging it as a tenant would report every
   * setting the platform made.
   */
  judges?: 'object' | 'writer';
}

/** One entry of a webhook configuration's `rules`. */
export interface WebhookResourceRule {
  apiGroups: string[];
  apiVersions: string[];
  resources: string[];
  operations: Operation[];
  scope?: 'Namespaced' | 'Cluster' | '*';
}

/** How the API server should call this policy: drives the generated webhook configurations. */
export interface WebhookSpec {
  rules: WebhookResourceRule[];
  failurePolicy: 'Fail' | 'Ignore';
  /** Why this failurePolicy: printed in the manifests and the security report. */
  failurePolicyReason: string;
  /**
   * Whether the namespaceSelector excluding system namespaces applies. False
   * only for cluster-scoped objects, which have no namespace to select on.
   */
  namespaced: boolean;
  /**
   * CEL conditions the API server evaluates before calling us: requests that
   * do not match never reach the webhook, so an outage cannot affect them.
   */
  matchConditions?: Array<{ name: string; expression: string }>;
  /**
   * Conditions that depend on the policy file (the resources its profiles
   * default, say), generated with the webhook configuration from the policy
   * in force when it is registered.
   */
  matchConditionsFor?: (config: PolicyConfig) => Array<{ name: string; expression: string }>;
}

export interface PolicyInput {
  request: AdmissionRequest;
  cluster: ClusterView;
  config: PolicyConfig;
}

export interface Policy {
  /** Path segment: served at `/<type>/<name>`. */
  name: string;
  type: 'mutate' | 'validate';
  description: string;
  rules: readonly RuleInfo[];
  webhook: WebhookSpec;
  /**
   * Called only for requests `webhook.rules` match, outside system namespaces
   * (src/admission/match.ts): a policy need not check kind or operation again,
   * only select between the kinds it handles.
   */
  evaluate(input: PolicyInput, out: DecisionBuilder): void;
}
