/**
 * `/validate/resource-defaults`: checks Pods, in-place resizes
 * (`pods/resize`) and the pod templates of workloads (ReplicationControllers
 * and PodTemplates included) against the profile's min/max/ratio at
 * `kubectl apply` time, the best-effort opt-out, profile names on
 * Namespaces, and protects the managed LimitRange/ResourceQuota from anyone
 * but trusted writers.
 */
import type { Policy, PolicyInput } from '../../policy/types.js';
import type { DecisionBuilder } from '../../policy/decision.js';
import { MANAGED_OBJECT_NAMES, PROFILE_ANNOTATION, RULES, BEST_EFFORT, QOS_ANNOTATION } from './names.js';
import { findPodSpec, WORKLOAD_KINDS } from '../shared/podspec.js';
import { resolveProfile } from './profile.js';
import { checkPodResources } from './limits.js';

function checkNamespace({ request, config }: PolicyInput, out: DecisionBuilder): void {
  const requested = request.object?.metadata?.annotations?.[PROFILE_ANNOTATION];
  if (requested === undefined) return;
  const profiles = Object.keys(config.resourceDefaults.profiles).sort();
  if (!profiles.includes(requested)) {
    out.deny(RULES.knownProfile, `metadata.annotations["${PROFILE_ANNOTATION}"] "${requested}" is not a profile; use one of: ${profiles.join(', ')}`);
  }
}

function checkManagedObject({ request, config }: PolicyInput, out: DecisionBuilder): void {
  const names = Object.hasOwn(MANAGED_OBJECT_NAMES, request.kind.kind) ? (MANAGED_OBJECT_NAMES[request.kind.kind] ?? []) : [];
  const name = request.name ?? request.object?.metadata?.name ?? request.oldObject?.metadata?.name ?? '';
  if (!names.includes(name)) return;
  const user = request.userInfo.username ?? '';
  if (config.resourceDefaults.trustedWriters.includes(user)) return;
  const verb = request.operation === 'DELETE' ? 'deleted' : request.operation === 'CREATE' ? 'created' : 'changed';
  out.deny(
    RULES.managedObjects,
    `${request.kind.kind} ${request.namespace}/${name} is managed by Harbormaster and cannot be ${verb} by "${user}"; ` +
      `pick another profile with the namespace annotation ${PROFILE_ANNOTATION} instead`,
  );
}

function checkWorkload(input: PolicyInput, out: DecisionBuilder): void {
  const { request, cluster, config } = input;
  // The engine passes CREATE/UPDATE only, and of the subresources only pods/resize (match.ts).
  const resize = request.subResource === 'resize';
  const pod = findPodSpec(request.kind.kind, request.object);
  if (!pod) return;
  const resolved = resolveProfile(request.namespace, cluster, config);
  if (!resolved) return;
  const optsOut = pod.annotations[QOS_ANNOTATION] === BEST_EFFORT;
  if (optsOut && !resolved.allowBestEffort) {
    const where = pod.path.length > 1 ? `${pod.path.slice(0, -1).join('.')}.metadata` : 'metadata';
    out.deny(
      RULES.bestEffortOptOut,
      `${where}.annotations["${QOS_ANNOTATION}"] "${BEST_EFFORT}" is not allowed in namespace ${request.namespace}: ` +
        'it needs harbormaster.io/allow-best-effort: "true", set by the platform',
    );
  }
  // A best-effort Pod where allowed gets no defaults, so it is judged as written.
  checkPodResources({ pod, resolved, out, applyDefaults: !resize && !(optsOut && resolved.allowBestEffort) });
}

/** Selects by kind (Namespace, managed object, Pod or template); the engine only passes requests the webhook rules name. */
function evaluate(input: PolicyInput, out: DecisionBuilder): void {
  const kind = input.request.kind.kind;
  if (kind === 'Namespace') checkNamespace(input, out);
  else if (kind in MANAGED_OBJECT_NAMES) checkManagedObject(input, out);
  else if (WORKLOAD_KINDS.includes(kind)) checkWorkload(input, out);
}

const workloads = [
  'Pod',
  'Pod (pods/resize)',
  'ReplicationController',
  'PodTemplate',
  'apps/Deployment',
  'apps/StatefulSet',
  'apps/DaemonSet',
  'apps/ReplicaSet',
  'batch/Job',
  'batch/CronJob',
];

export const resourceDefaultsValidate: Policy = {
  name: 'resource-defaults',
  type: 'validate',
  description: 'Keeps Pods and workload templates inside the namespace profile and protects the managed LimitRange/ResourceQuota.',
  rules: [
    {
      id: RULES.limits,
      description:
        'Each container request and limit (as defaulted, and as resized) must lie within the profile min/max, and limit/request within maxLimitRequestRatio.',
      action: 'deny',
      kinds: workloads,
      operations: ['CREATE', 'UPDATE'],
    },
    {
      id: RULES.podMax,
      description: "The Pod total (containers summed as LimitRanger does, or the pod-level spec.resources where set) must not exceed the profile's Pod max.",
      action: 'deny',
      kinds: workloads,
      operations: ['CREATE', 'UPDATE'],
    },
    {
      id: RULES.extendedResources,
      description:
        'Extended resources (e.g. nvidia.com/gpu) and hugepages cannot be overcommitted and are never defaulted: a request needs a limit equal to it.',
      action: 'deny',
      kinds: workloads,
      operations: ['CREATE', 'UPDATE'],
    },
    {
      id: RULES.bestEffortOptOut,
      description: 'harbormaster.io/qos: best-effort is only allowed in namespaces annotated harbormaster.io/allow-best-effort: "true".',
      action: 'deny',
      kinds: workloads,
      operations: ['CREATE', 'UPDATE'],
    },
    {
      id: RULES.knownProfile,
      description: 'harbormaster.io/quota-profile on a Namespace must name a profile of the policy file.',
      action: 'deny',
      kinds: ['Namespace'],
      operations: ['CREATE', 'UPDATE'],
    },
    {
      id: RULES.managedObjects,
      description: 'The managed LimitRange harbormaster-limits and ResourceQuota harbormaster-quota may only be written by Harbormaster itself.',
      action: 'deny',
      kinds: ['LimitRange', 'ResourceQuota'],
      operations: ['CREATE', 'UPDATE', 'DELETE'],
      judges: 'writer',
    },
  ],
  webhook: {
    rules: [
      {
        apiGroups: [''],
        apiVersions: ['v1'],
        resources: ['pods', 'pods/resize', 'replicationcontrollers', 'podtemplates'],
        operations: ['CREATE', 'UPDATE'],
        scope: 'Namespaced',
      },
      {
        apiGroups: ['apps'],
        apiVersions: ['v1'],
        resources: ['deployments', 'statefulsets', 'daemonsets', 'replicasets'],
        operations: ['CREATE', 'UPDATE'],
        scope: 'Namespaced',
      },
      { apiGroups: ['batch'], apiVersions: ['v1'], resources: ['jobs', 'cronjobs'], operations: ['CREATE', 'UPDATE'], scope: 'Namespaced' },
      { apiGroups: [''], apiVersions: ['v1'], resources: ['limitranges', 'resourcequotas'], operations: ['CREATE', 'UPDATE', 'DELETE'], scope: 'Namespaced' },
      { apiGroups: [''], apiVersions: ['v1'], resources: ['namespaces'], operations: ['CREATE', 'UPDATE'], scope: 'Cluster' },
    ],
    failurePolicy: 'Fail',
    failurePolicyReason:
      'Fail-closed: these are guardrails tenants (often cluster-admin) must not bypass by waiting for an outage; system namespaces are excluded by the selector, so the cluster itself cannot be locked out.',
    namespaced: true,
  },
  evaluate,
};
