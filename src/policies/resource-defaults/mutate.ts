/**
 * `/mutate/resource-defaults`: fills missing requests/limits of every
 * container and initContainer of a Pod from the namespace's profile, with the
 * API server's LimitRanger semantics (a missing request with a limit set
 * becomes the limit), except that a defaulted limit is fitted to the request
 * so the Pod is valid (defaults.ts says why). Skips Pods that opted out of
 * defaults where the namespace allows best-effort, and never runs on
 * `pods/resize` (a resize keeps what the user asked for; the validating
 * policy judges it). Idempotent: a second call finds nothing missing and
 * changes nothing.
 */
import type { Policy, PolicyInput } from '../../policy/types.js';
import type { DecisionBuilder } from '../../policy/decision.js';
import { BEST_EFFORT, QOS_ANNOTATION, RULES } from './names.js';
import { containersOf, fieldPath, findPodSpec } from '../shared/podspec.js';
import { rec } from '../../kube/narrow.js';
import { resolveProfile } from './profile.js';
import { defaultContainer } from './defaults.js';
import { LIMIT_RANGER_ANNOTATION, limitsSetByLimitRanger } from './resources.js';
import type { PolicyConfig } from '../../config/types.js';

function evaluate({ request, cluster, config }: PolicyInput, out: DecisionBuilder): void {
  const pod = findPodSpec('Pod', request.object);
  if (!pod) return;
  const resolved = resolveProfile(request.namespace, cluster, config);
  if (!resolved) return;
  if (pod.annotations[QOS_ANNOTATION] === BEST_EFFORT && resolved.allowBestEffort) return;

  const byLimitRanger = limitsSetByLimitRanger(pod.annotations);
  const podLimits = rec(rec(pod.spec.resources)?.limits) ?? {};
  const changed: string[] = [];
  const notes: string[] = [];
  for (const c of containersOf(pod)) {
    const resources = rec(c.container.resources);
    const base = [...c.segments, 'resources'];
    const result = defaultContainer({
      have: { limits: rec(resources?.limits) ?? {}, requests: rec(resources?.requests) ?? {} },
      container: resolved.profile.limits.container,
      limitRangerSet: byLimitRanger.get(c.name) ?? new Set(),
      podLimits,
      profileName: resolved.name,
    });
    for (const p of result.problems) out.deny(RULES.validDefaults, `${fieldPath(base)}.${p.message}`);
    for (const w of result.writes) {
      out.set(RULES.containerDefaults, [...base, w.kind, w.resource], w.value);
      if (w.note) notes.push(`${c.name} ${w.note}`);
    }
    if (result.writes.length > 0) changed.push(c.name);
  }
  if (changed.length > 0) {
    const detail = notes.length > 0 ? ` (${notes.join('; ')})` : '';
    out.warn(RULES.containerDefaults, `profile "${resolved.name}" defaults set on ${changed.join(', ')}${detail}`);
  }
  if (resolved.unknownName !== undefined) {
    out.warn(RULES.containerDefaults, `namespace profile "${resolved.unknownName}" unknown; used "default"`);
  }
}

/** Every resource some profile of the policy file defaults (a request or a limit), sorted. */
export function defaultedResources(config: PolicyConfig): string[] {
  const names = new Set<string>();
  for (const p of Object.values(config.resourceDefaults.profiles)) {
    for (const list of [p.limits.container.default, p.limits.container.defaultRequest]) for (const r of Object.keys(list ?? {})) names.add(r);
  }
  return [...names].sort();
}

/**
 * CEL for the webhook: call us only for a Pod we might change. That is a Pod
 * where some container or initContainer lacks a request or a limit of a
 * resource some profile defaults, or one the API server's LimitRanger has
 * already defaulted (its annotation says so, and we refit those values). A
 * Pod that sets everything itself costs no call. Which profile applies
 * depends on the namespace, which CEL cannot see, hence the union of all
 * profiles. Nothing is lost if the policy file later defaults a resource
 * this list lacks: the namespace LimitRange defaults it in the API server.
 */
export function completePodCondition(config: PolicyConfig): Array<{ name: string; expression: string }> {
  const resources = defaultedResources(config);
  const list = `[${resources.map((r) => `'${r}'`).join(', ')}]`;
  const lacks =
    `!has(c.resources) || !has(c.resources.requests) || !has(c.resources.limits) || ` +
    `${list}.exists(r, !(r in c.resources.requests) || !(r in c.resources.limits))`;
  const containers = `object.spec.containers + (has(object.spec.initContainers) ? object.spec.initContainers : [])`;
  return [
    {
      name: 'pod-may-need-defaults',
      expression: `(has(object.metadata.annotations) && '${LIMIT_RANGER_ANNOTATION}' in object.metadata.annotations) || (${containers}).exists(c, ${lacks})`,
    },
  ];
}

export const resourceDefaultsMutate: Policy = {
  name: 'resource-defaults',
  type: 'mutate',
  description: 'Fills missing container requests/limits from the namespace quota profile.',
  rules: [
    {
      id: RULES.containerDefaults,
      description:
        'Sets missing requests/limits of containers and initContainers to the profile defaults (request = limit when only a limit is given); a defaulted limit is raised to the request, kept within maxLimitRequestRatio and the pod-level limit; extended resources and hugepages are never defaulted.',
      action: 'mutate',
      kinds: ['Pod'],
      operations: ['CREATE'],
    },
    {
      id: RULES.validDefaults,
      description:
        'A container with a request but no limit is denied when no valid limit exists (the request is above the profile max or the pod-level limit), saying what to set.',
      action: 'deny',
      kinds: ['Pod'],
      operations: ['CREATE'],
    },
  ],
  webhook: {
    rules: [{ apiGroups: [''], apiVersions: ['v1'], resources: ['pods'], operations: ['CREATE'], scope: 'Namespaced' }],
    failurePolicy: 'Ignore',
    failurePolicyReason:
      'Fail-open: the namespace LimitRange applies the same defaults in the API server itself, so an outage loses the warning and the fitting of a default limit below the request (the API server then refuses that Pod with its own message; the fail-closed validating webhook refuses Pods anyway when the server is down).',
    namespaced: true,
    matchConditionsFor: completePodCondition,
  },
  evaluate,
};
