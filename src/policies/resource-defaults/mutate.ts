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
import { limitsSetByLimitRanger } from './resources.js';

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
  },
  evaluate,
};
