/**
 * `/mutate/resource-defaults`: fills missing requests/limits of every
 * container and initContainer of a Pod from the namespace's profile, with the
 * API server's LimitRanger semantics (a missing request with a limit set
 * becomes the limit). Skips Pods that opted out of defaults where the
 * namespace allows best-effort. Idempotent: a second call finds nothing
 * missing and changes nothing.
 */
import type { Policy, PolicyInput } from '../../policy/types.js';
import type { DecisionBuilder } from '../../policy/decision.js';
import { BEST_EFFORT, QOS_ANNOTATION, RULES } from './names.js';
import { containersOf, findPodSpec, rec } from '../shared/podspec.js';
import { resolveProfile } from './profile.js';

function evaluate({ request, cluster, config }: PolicyInput, out: DecisionBuilder): void {
  if (request.operation !== 'CREATE' || request.kind.kind !== 'Pod') return;
  const pod = findPodSpec('Pod', request.object);
  if (!pod) return;
  const resolved = resolveProfile(request.namespace, cluster, config);
  if (!resolved) return;
  if (pod.annotations[QOS_ANNOTATION] === BEST_EFFORT && resolved.allowBestEffort) return;

  const limits = resolved.profile.limits.container;
  const defaultLimit = limits.default ?? {};
  const defaultRequest = limits.defaultRequest ?? {};
  const resourceNames = [...new Set([...Object.keys(defaultLimit), ...Object.keys(defaultRequest)])].sort();
  const changed: string[] = [];

  for (const c of containersOf(pod)) {
    const resources = rec(c.container.resources);
    const have = { limits: rec(resources?.limits) ?? {}, requests: rec(resources?.requests) ?? {} };
    const base = [...c.segments, 'resources'];
    const added: string[] = [];
    for (const r of resourceNames) {
      let limit = have.limits[r];
      if (limit === undefined && defaultLimit[r] !== undefined) {
        limit = defaultLimit[r];
        out.set(RULES.containerDefaults, [...base, 'limits', r], limit);
        added.push(`limits.${r}`);
      }
      if (have.requests[r] === undefined) {
        // LimitRanger: an explicit limit without a request makes the request equal to it.
        const request = have.limits[r] !== undefined ? have.limits[r] : (defaultRequest[r] ?? limit);
        if (request !== undefined) {
          out.set(RULES.containerDefaults, [...base, 'requests', r], request);
          added.push(`requests.${r}`);
        }
      }
    }
    if (added.length > 0) changed.push(c.name);
  }
  if (changed.length > 0) {
    out.warn(RULES.containerDefaults, `profile "${resolved.name}" defaults set on ${changed.join(', ')}`);
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
      description: 'Sets missing requests/limits of containers and initContainers to the profile defaults (request = limit when only a limit is given).',
      action: 'mutate',
      kinds: ['Pod'],
      operations: ['CREATE'],
    },
  ],
  webhook: {
    rules: [{ apiGroups: [''], apiVersions: ['v1'], resources: ['pods'], operations: ['CREATE'], scope: 'Namespaced' }],
    failurePolicy: 'Ignore',
    failurePolicyReason:
      'Fail-open: the namespace LimitRange applies the same defaults in the API server itself, so an outage of the webhook loses nothing but the warning.',
    namespaced: true,
  },
  evaluate,
};
