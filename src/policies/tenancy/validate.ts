/**
 * `/validate/tenancy`: platform-only Namespace settings (SPEC 3.0). The
 * `harbormaster.io/*` annotations of a Namespace pick its quota profile, its
 * best-effort opt-out and its ingress risk level; RBAC that lets a tenant
 * patch its Namespace (e.g. to add a label) would otherwise let it raise its
 * own quota. Only changes count: an UPDATE that leaves these annotations as
 * they were (a label added, `kubectl annotate --overwrite` with the same
 * value, the namespace controller finalizing) is allowed for anyone.
 */
import type { KubeObject } from '../../kube/types.js';
import type { DecisionBuilder } from '../../policy/decision.js';
import type { Policy, PolicyInput } from '../../policy/types.js';
import { isPlatform } from './identity.js';
import { PLATFORM_ANNOTATION_PREFIX, RULES } from './names.js';

/** What happened to one platform annotation between oldObject and object; also the verb of its message. */
export type AnnotationChange = 'set' | 'changed' | 'removed';

/** The platform annotations of an object; anything that is not a plain object has none. */
function platformAnnotations(obj: KubeObject | null | undefined): Map<string, unknown> {
  const found = new Map<string, unknown>();
  const annotations: unknown = obj?.metadata?.annotations;
  if (annotations === null || typeof annotations !== 'object' || Array.isArray(annotations)) return found;
  for (const [key, value] of Object.entries(annotations)) {
    if (key.startsWith(PLATFORM_ANNOTATION_PREFIX)) found.set(key, value);
  }
  return found;
}

/**
 * Every platform annotation that differs between `before` and `after`, sorted
 * by key. A value that is not a string is always a change: the API server
 * would refuse it, and "equal" is not meaningful for it.
 */
export function platformAnnotationChanges(
  before: KubeObject | null | undefined,
  after: KubeObject | null | undefined,
): Array<{ key: string; change: AnnotationChange }> {
  const old = platformAnnotations(before);
  const now = platformAnnotations(after);
  const keys = [...new Set([...old.keys(), ...now.keys()])].sort();
  const changes: Array<{ key: string; change: AnnotationChange }> = [];
  for (const key of keys) {
    const was = old.get(key);
    const is = now.get(key);
    if (!now.has(key)) changes.push({ key, change: 'removed' });
    else if (!old.has(key)) changes.push({ key, change: 'set' });
    else if (typeof was !== 'string' || typeof is !== 'string' || was !== is) changes.push({ key, change: 'changed' });
  }
  return changes;
}

function evaluate({ request, config }: PolicyInput, out: DecisionBuilder): void {
  const before = request.operation === 'UPDATE' ? request.oldObject : null;
  const changes = platformAnnotationChanges(before, request.object);
  if (changes.length === 0 || isPlatform(request.userInfo, config)) return;
  const user = JSON.stringify(typeof request.userInfo.username === 'string' ? request.userInfo.username : '');
  // The decision builder keeps the first 20 messages per rule and adds "… and N more" (SPEC 3.0).
  for (const { key, change } of changes) {
    out.deny(
      RULES.platformAnnotations,
      `metadata.annotations[${JSON.stringify(key)}] may be ${change} only by the platform ` + `(user ${user} is not in platform.users/groups/serviceAccounts)`,
    );
  }
}

/**
 * CEL for the webhook's matchConditions, the same test as
 * platformAnnotationChanges(): the API server calls us only when a
 * `harbormaster.io/*` annotation is added, changed or removed. Everything
 * else (labels, finalizing, status) never reaches the webhook, so an outage of
 * a fail-closed webhook blocks only platform-setting changes. Review runs the
 * policy itself, which allows exactly the requests this filters out.
 */
const isPlatformKey = `k.startsWith('${PLATFORM_ANNOTATION_PREFIX}')`;
const PLATFORM_ANNOTATIONS_CHANGE = [
  "request.operation == 'CREATE'",
  `? (has(object.metadata.annotations) && object.metadata.annotations.exists(k, ${isPlatformKey}))`,
  `: ((has(object.metadata.annotations) && object.metadata.annotations.exists(k, ${isPlatformKey} &&`,
  '!(has(oldObject.metadata.annotations) && k in oldObject.metadata.annotations && oldObject.metadata.annotations[k] == object.metadata.annotations[k])))',
  `|| (has(oldObject.metadata.annotations) && oldObject.metadata.annotations.exists(k, ${isPlatformKey} &&`,
  '!(has(object.metadata.annotations) && k in object.metadata.annotations))))',
].join(' ');

export const tenancyValidate: Policy = {
  name: 'tenancy',
  type: 'validate',
  description: 'Keeps platform-only Namespace settings (harbormaster.io/* annotations) in the hands of the platform.',
  rules: [
    {
      id: RULES.platformAnnotations,
      description:
        'Namespace annotations under harbormaster.io/ (quota-profile, allow-best-effort, ingress-risk, …) may be added, changed or removed only by the platform (policy file platform.users/groups/serviceAccounts, and Harbormaster itself).',
      action: 'deny',
      kinds: ['Namespace'],
      operations: ['CREATE', 'UPDATE'],
      judges: 'writer',
    },
  ],
  webhook: {
    rules: [
      { apiGroups: [''], apiVersions: ['v1'], resources: ['namespaces'], operations: ['CREATE', 'UPDATE'], scope: 'Cluster' },
      // The status and finalize subresources reset only status / spec: metadata, annotations included, still goes through.
      { apiGroups: [''], apiVersions: ['v1'], resources: ['namespaces/status', 'namespaces/finalize'], operations: ['UPDATE'], scope: 'Cluster' },
    ],
    matchConditions: [{ name: 'platform-annotations-change', expression: PLATFORM_ANNOTATIONS_CHANGE }],
    failurePolicy: 'Fail',
    failurePolicyReason:
      'Fail-closed: a change let through unchecked hands a tenant a bigger quota, best-effort Pods or High-risk ingress annotations, and it stays in force after the outage; the matchConditions send only Namespace writes that change a harbormaster.io/* annotation (rare, made by the platform), and system namespaces are excluded by the selector, so an outage delays only those.',
    // A Namespace carries kubernetes.io/metadata.name on itself, so the selector excluding system namespaces applies.
    namespaced: true,
  },
  evaluate,
};
