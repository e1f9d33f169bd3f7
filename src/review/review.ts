/**
 * Offline review: runs the registered policies on manifests exactly as the
 * API server would call them — every mutating policy in order, each seeing the
 * previous one's result, then every validating policy on the mutated object.
 * The same `evaluate` the HTTPS server uses; only the request is synthesised.
 */
import { randomUUID } from 'node:crypto';
import { evaluate } from '../admission/engine.js';
import { resourceOf } from '../admission/match.js';
import type { PolicyRegistry } from '../admission/registry.js';
import type { AdmissionRequest, KubeObject, Operation } from '../kube/types.js';
import type { ClusterView } from '../policy/view.js';
import type { PolicyConfig } from '../config/types.js';
import type { Denial, Finding, TaggedPatchOp } from '../policy/decision.js';
import type { Policy } from '../policy/types.js';
import { formatWarning } from '../admission/review.js';

export interface ReviewResult {
  kind: string;
  namespace: string;
  name: string;
  allowed: boolean;
  denials: Denial[];
  warnings: string[];
  patch: TaggedPatchOp[];
  /** Findings of rules in warn or audit mode: admitted, but what the rule would have done. */
  findings: Finding[];
}

export interface ReviewOptions {
  registry: PolicyRegistry;
  cluster: ClusterView;
  config: PolicyConfig;
  operation: Operation;
  /** Namespace for namespaced objects that name none. */
  namespace: string;
  /**
   * Who the request is from (default `harbormaster-review`, no groups: a
   * tenant), so platform-only rules can be reviewed as the platform too.
   */
  username?: string;
  groups?: string[];
  /** The instant exemption expiry is judged at (ms since the epoch; default now). */
  now?: number;
  /** UPDATE: the object as stored before (default: the object itself, an update that changes nothing). */
  oldObject?: KubeObject;
  /** A subresource request, e.g. `resize` for pods/resize, `status` for namespaces/status. */
  subResource?: string;
}

/** Kinds that have no namespace. */
const CLUSTER_SCOPED = new Set([
  'Namespace',
  'Node',
  'ClusterRole',
  'ClusterRoleBinding',
  'CustomResourceDefinition',
  'IngressClass',
  'Cluster',
  'PersistentVolume',
  'StorageClass',
  'MutatingWebhookConfiguration',
  'ValidatingWebhookConfiguration',
]);

function splitApiVersion(apiVersion: string | undefined): { group: string; version: string } {
  const v = apiVersion ?? 'v1';
  const i = v.indexOf('/');
  return i < 0 ? { group: '', version: v } : { group: v.slice(0, i), version: v.slice(i + 1) };
}

export function buildRequest(
  obj: KubeObject,
  options: Pick<ReviewOptions, 'operation' | 'namespace' | 'username' | 'groups' | 'oldObject' | 'subResource'>,
): AdmissionRequest {
  const kind = typeof obj.kind === 'string' ? obj.kind : '';
  const { group, version } = splitApiVersion(obj.apiVersion);
  const namespaced = !CLUSTER_SCOPED.has(kind);
  const namespace = namespaced ? (obj.metadata?.namespace ?? options.namespace) : undefined;
  const object = structuredClone(obj);
  if (namespace !== undefined) object.metadata = { ...object.metadata, namespace };
  const isDelete = options.operation === 'DELETE';
  const name = obj.metadata?.name;
  return {
    uid: randomUUID(),
    kind: { group, version, kind },
    resource: { group, version, resource: resourceOf(kind) },
    ...(options.subResource ? { subResource: options.subResource } : {}),
    operation: options.operation,
    userInfo: { username: options.username ?? 'harbormaster-review', ...(options.groups?.length ? { groups: [...options.groups] } : {}) },
    ...(name ? { name } : {}),
    ...(namespace !== undefined ? { namespace } : {}),
    object: isDelete ? null : object,
    oldObject: isDelete ? object : options.operation === 'UPDATE' ? (options.oldObject ? structuredClone(options.oldObject) : object) : null,
    dryRun: true,
  };
}

export function reviewObject(obj: KubeObject, options: ReviewOptions): ReviewResult {
  const request = buildRequest(obj, options);
  const result: ReviewResult = {
    kind: request.kind.kind,
    namespace: request.namespace ?? '',
    name: request.name ?? obj.metadata?.generateName ?? '',
    allowed: true,
    denials: [],
    warnings: [],
    patch: [],
    findings: [],
  };
  let current = request;
  // One instant for the whole review, as one request is judged at one instant by the server.
  const now = options.now ?? Date.now();
  const mutators = options.registry.ordered().filter((p) => p.type === 'mutate');
  const validators = options.registry.ordered().filter((p) => p.type === 'validate');
  // The API server's order: every mutating webhook, each on the previous one's result; then, as
  // reinvocationPolicy IfNeeded does, the ones that ran before a later change run once more; then
  // every validating webhook on the final object.
  const lastChange = { index: -1 };
  const run = (policy: Policy, index: number, reinvocation: boolean): void => {
    // evaluate() answers allowed and empty for a request the policy is not registered for.
    const decision = evaluate({ policy, request: current, cluster: options.cluster, config: options.config, now });
    result.denials.push(...decision.denials);
    if (!reinvocation) result.findings.push(...decision.findings);
    if (!reinvocation) result.warnings.push(...decision.warnings.map((w) => formatWarning(w.rule, w.message)));
    if (!decision.allowed) result.allowed = false;
    if (policy.type === 'mutate' && decision.patch.length > 0 && decision.mutated) {
      result.patch.push(...decision.patch);
      current = { ...current, object: decision.mutated };
      if (!reinvocation) lastChange.index = index;
    }
  };
  mutators.forEach((p, i) => run(p, i, false));
  mutators.forEach((p, i) => {
    if (i < lastChange.index) run(p, i, true);
  });
  validators.forEach((p, i) => run(p, i, false));
  if (!result.allowed) result.patch = [];
  result.warnings = [...new Set(result.warnings)];
  return result;
}
