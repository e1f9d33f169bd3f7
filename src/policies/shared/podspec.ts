/**
 * Finding the pod spec inside the objects this policy checks: a Pod itself,
 * or the pod template of a workload. Returns the JSON path segments of the
 * spec so messages can name the exact field.
 */
import { rec, type Rec } from '../../kube/narrow.js';
import type { KubeObject } from '../../kube/types.js';

const TEMPLATE_PATHS: Readonly<Record<string, readonly string[]>> = {
  Pod: ['spec'],
  Deployment: ['spec', 'template', 'spec'],
  StatefulSet: ['spec', 'template', 'spec'],
  DaemonSet: ['spec', 'template', 'spec'],
  ReplicaSet: ['spec', 'template', 'spec'],
  ReplicationController: ['spec', 'template', 'spec'],
  // A PodTemplate is a template without a controller; other objects (and people) copy it into Pods.
  PodTemplate: ['template', 'spec'],
  Job: ['spec', 'template', 'spec'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
};

export const WORKLOAD_KINDS = Object.keys(TEMPLATE_PATHS);

export interface PodSpecRef {
  spec: Rec;
  path: readonly string[];
  /** Annotations of the pod (template), where `harbormaster.io/qos` lives. */
  annotations: Readonly<Record<string, unknown>>;
}

export function findPodSpec(kind: string, obj: KubeObject | null | undefined): PodSpecRef | undefined {
  // hasOwn: a kind named `constructor` or `__proto__` is tenant input, not a table entry.
  const path = Object.hasOwn(TEMPLATE_PATHS, kind) ? TEMPLATE_PATHS[kind] : undefined;
  if (!path || !obj) return undefined;
  let node: unknown = obj;
  for (const seg of path) node = rec(node)?.[seg];
  const spec = rec(node);
  if (!spec) return undefined;
  // The pod template's metadata sits beside its spec; for a Pod it is the object's own.
  let metaNode: unknown = obj;
  const metaPath = [...path.slice(0, -1), 'metadata'];
  for (const seg of metaPath) metaNode = rec(metaNode)?.[seg];
  const annotations = rec(rec(metaNode)?.annotations) ?? {};
  return { spec, path, annotations };
}

export interface ContainerRef {
  container: Rec;
  /** Path segments from the object root, e.g. ['spec','containers',0]. */
  segments: Array<string | number>;
  name: string;
  /** `initContainers` entries without restartPolicy Always run before the Pod, one at a time. */
  sequentialInit: boolean;
}

export function containersOf(ref: PodSpecRef): ContainerRef[] {
  const out: ContainerRef[] = [];
  for (const field of ['initContainers', 'containers'] as const) {
    const list = ref.spec[field];
    if (!Array.isArray(list)) continue;
    list.forEach((c, i) => {
      const container = rec(c);
      if (!container) return;
      out.push({
        container,
        segments: [...ref.path, field, i],
        name: typeof container.name === 'string' ? container.name : `#${i}`,
        sequentialInit: field === 'initContainers' && container.restartPolicy !== 'Always',
      });
    });
  }
  return out;
}

/** `spec.containers[0].resources` style rendering of path segments. */
export function fieldPath(segments: ReadonlyArray<string | number>): string {
  let out = '';
  for (const s of segments) out += typeof s === 'number' ? `[${s}]` : out ? `.${s}` : s;
  return out;
}
