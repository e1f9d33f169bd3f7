/**
 * `/mutate/cloud-credentials`: mounts the credentials a Pod asks for (its own
 * annotation, or its ServiceAccount's) into every container and
 * initContainer not skipped, and into platform sidecars only when the Pod
 * says so. Only Secrets of the two credential types in the Pod's own
 * namespace, known from the cache (name/namespace/type only). Everything is
 * planned and checked for collisions first, then written: what is exactly
 * ours already is left alone (re-invocation adds nothing), anything else in
 * our place denies the Pod (see plan.ts).
 */
import { get, type DecisionBuilder } from '../../policy/decision.js';
import type { Policy, PolicyInput } from '../../policy/types.js';
import { containersOf, findPodSpec } from '../shared/podspec.js';
import { INCLUDE_SIDECARS_ANNOTATION, MAX_REFERENCES, POD_INJECT_ANNOTATION, RULES, SA_SECRET_ANNOTATION, SKIP_CONTAINERS_ANNOTATION } from './names.js';
import { planCredential } from './plan.js';
import { resolveCredentials } from './references.js';
import { selectTargets } from './targets.js';

export { gcpVolumeName } from './volume-name.js';

/** Collision messages shown one by one; the rest are counted in one more. */
const SHOWN_COLLISIONS = 10;

function denyCollisions(out: DecisionBuilder, collisions: readonly string[]): void {
  for (const c of collisions.slice(0, SHOWN_COLLISIONS)) out.deny(RULES.collision, c);
  const rest = collisions.length - SHOWN_COLLISIONS;
  if (rest > 0) out.deny(RULES.collision, `… and ${rest} more fields that collide with the injected credentials; rename, move or remove them as above`);
}

function evaluateWith(platformSidecars: ReadonlySet<string>): Policy['evaluate'] {
  return (input: PolicyInput, out: DecisionBuilder): void => {
    const { request } = input;
    const creds = resolveCredentials(input, out);
    if (!creds || creds.length === 0) return;
    const pod = findPodSpec('Pod', request.object);
    if (!pod) return;
    const targets = selectTargets({ containers: containersOf(pod), annotations: request.object?.metadata?.annotations, platformSidecars, out });
    const plans = creds.map((cred) => planCredential({ cred, targets, spec: pod.spec, specPath: pod.path }));
    const collisions = plans.flatMap((p) => p.collisions);
    if (collisions.length > 0) return denyCollisions(out, collisions);
    // Planned against the request, written to the working copy: writes only append, so the
    // container paths of the plan stay valid. A missing array is written whole, in one write.
    for (const w of plans.flatMap((p) => p.writes)) {
      if (Array.isArray(get(out.working, w.segments))) for (const v of w.values) out.append(RULES.inject, w.segments, v);
      else out.set(RULES.inject, w.segments, w.values);
    }
  };
}

export interface CloudCredentialsOptions {
  /** Container names the platform injects as sidecars (the addon catalog's): no credentials unless included. */
  platformSidecars: Iterable<string>;
}

const ops = ['CREATE'] as const;

const rules: Policy['rules'] = [
  {
    id: RULES.inject,
    description: `Mounts the Secrets named by ${POD_INJECT_ANNOTATION} or the ServiceAccount's ${SA_SECRET_ANNOTATION} into every container and initContainer except ${SKIP_CONTAINERS_ANNOTATION}, and into platform sidecars only when named in ${INCLUDE_SIDECARS_ANNOTATION} (GCP: volume + GOOGLE_APPLICATION_CREDENTIALS; AWS: secretKeyRef env).`,
    action: 'mutate',
    kinds: ['Pod'],
    operations: ops,
  },
  {
    id: RULES.reference,
    description: `A referenced credential must be a gcp-credential or aws-credential Secret that exists in the Pod's own namespace, named by a valid Secret name (or <own-namespace>/<name>), at most ${MAX_REFERENCES} per annotation.`,
    action: 'deny',
    kinds: ['Pod'],
    operations: ops,
  },
  {
    id: RULES.onePerProvider,
    description: 'A Pod gets at most one credential per provider.',
    action: 'deny',
    kinds: ['Pod'],
    operations: ops,
  },
  {
    id: RULES.collision,
    description:
      'A volume, mount or env var of the Pod in the place of an injected one (volume hm-gcp-<secret>, a mount at, over or under the credential directory, GOOGLE_APPLICATION_CREDENTIALS or AWS_* with another value) is denied instead of silently redirecting the credential; exactly what the policy injects is left alone.',
    action: 'deny',
    kinds: ['Pod'],
    operations: ops,
  },
  {
    id: RULES.skipContainers,
    description: `Warns when ${SKIP_CONTAINERS_ANNOTATION} names a container the Pod does not have.`,
    action: 'warn',
    kinds: ['Pod'],
    operations: ops,
  },
  {
    id: RULES.includeSidecars,
    description: `Warns when ${INCLUDE_SIDECARS_ANNOTATION} names something that is not a platform sidecar.`,
    action: 'warn',
    kinds: ['Pod'],
    operations: ops,
  },
];

/** The injecting policy; platform sidecars are those of the catalog it is built with. */
export function cloudCredentialsInjectPolicy(options: CloudCredentialsOptions): Policy {
  return {
    name: 'cloud-credentials',
    type: 'mutate',
    description: 'Injects gcp-credential / aws-credential Secrets into Pods that ask for them.',
    rules,
    webhook: {
      rules: [{ apiGroups: [''], apiVersions: ['v1'], resources: ['pods'], operations: ['CREATE'], scope: 'Namespaced' }],
      failurePolicy: 'Fail',
      failurePolicyReason:
        'Fail-closed: a Pod that asked for credentials must not start without them and fail later in confusing ways; system namespaces are excluded, so the cluster cannot lock itself out.',
      namespaced: true,
    },
    evaluate: evaluateWith(new Set(options.platformSidecars)),
  };
}
