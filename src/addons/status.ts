/** Addon status on the Cluster object (SPEC 5), computed purely from what the manager observed. */
import type { KubeObject } from '../kube/types.js';
import type { ReadyWorkload } from '../catalog/catalog.js';

export type Phase = 'Installing' | 'Ready' | 'Degraded' | 'Failed' | 'Removing' | 'Disabled';

export interface AddonStatus {
  name: string;
  phase: Phase;
  version: string;
  revision: number;
  message: string;
  lastTransitionTime: string;
  objects: { applied: number; total: number };
  workloads: { ready: number; total: number };
  /** Hash of the applied manifests: a new one bumps `revision`. */
  manifestHash: string;
}

type Rec = Record<string, unknown>;
const num = (v: unknown, d = 0): number => (typeof v === 'number' ? v : d);

/**
 * Ready as its controller reports it, once the rollout has finished: the
 * controller saw the current generation, every wanted replica runs the
 * current template and is ready, and none of the old ones is left. Ready
 * replicas alone are not enough: mid-rollout they include old Pods.
 */
export function workloadReady(obj: KubeObject | undefined): boolean {
  if (!obj) return false;
  const spec = (obj.spec ?? {}) as Rec;
  const status = (obj.status ?? {}) as Rec;
  const generation = num(obj.metadata?.generation, 0);
  if (num(status.observedGeneration, -1) < generation) return false;
  const wanted = num(spec.replicas, 1);
  switch (obj.kind) {
    case 'Deployment':
      // status.replicas counts old ReplicaSets' Pods too: equal to updatedReplicas once they are gone.
      return num(status.updatedReplicas) >= wanted && num(status.readyReplicas) >= wanted && num(status.availableReplicas) >= wanted && num(status.replicas) <= wanted;
    case 'StatefulSet':
      return (
        num(status.updatedReplicas) >= wanted &&
        num(status.readyReplicas) >= wanted &&
        num(status.replicas) <= wanted &&
        // OnDelete never rolls by itself; RollingUpdate has finished when both revisions agree.
        (onDelete(spec) || status.currentRevision === status.updateRevision)
      );
    case 'DaemonSet': {
      const desired = num(status.desiredNumberScheduled);
      return num(status.updatedNumberScheduled) >= desired && num(status.numberReady) >= desired && num(status.numberAvailable) >= desired;
    }
    default:
      return false;
  }
}

function onDelete(spec: Rec): boolean {
  return (spec.updateStrategy as Rec | undefined)?.type === 'OnDelete';
}

export function countReady(ready: readonly ReadyWorkload[], lookup: (w: ReadyWorkload) => KubeObject | undefined): number {
  return ready.filter((w) => workloadReady(lookup(w))).length;
}

/** Installing until first ready; a Ready addon that stops being ready is Degraded. */
export function runningPhase(prev: AddonStatus | undefined, allReady: boolean): Phase {
  if (allReady) return 'Ready';
  return prev && (prev.phase === 'Ready' || prev.phase === 'Degraded') ? 'Degraded' : 'Installing';
}

/** The next status entry; lastTransitionTime moves only when the phase changes. */
export function nextStatus(prev: AddonStatus | undefined, observed: Omit<AddonStatus, 'lastTransitionTime' | 'revision'>, now: Date): AddonStatus {
  const revision = prev ? (prev.manifestHash !== observed.manifestHash && observed.manifestHash !== '' ? prev.revision + 1 : prev.revision) : observed.manifestHash ? 1 : 0;
  return {
    ...observed,
    revision,
    lastTransitionTime: prev && prev.phase === observed.phase ? prev.lastTransitionTime : now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
  };
}

export function sameStatus(a: AddonStatus | undefined, b: AddonStatus): boolean {
  return a !== undefined && JSON.stringify(a) === JSON.stringify(b);
}

/** `kubectl get clusters` summary column: ready/enabled. */
export function summary(entries: readonly AddonStatus[]): string {
  const enabled = entries.filter((e) => e.phase !== 'Disabled' && e.phase !== 'Removing');
  return `${enabled.filter((e) => e.phase === 'Ready').length}/${enabled.length}`;
}

/** What an install reached, for `installedStatus`. */
export interface InstallResult {
  applied: number;
  total: number;
  ready: number;
  /** Workloads the addon waits for. */
  readyTotal: number;
  fighting: string | undefined;
  foreign: readonly string[];
  refused: { key: string; message: string } | undefined;
}

/** Phase and message after an install pass: a refusal or foreign objects fail it, a fight degrades it. */
export function installedStatus(prev: AddonStatus | undefined, r: InstallResult): { phase: Phase; message: string } {
  if (r.refused) {
    return { phase: 'Failed', message: `the API server refused ${r.refused.key}: ${r.refused.message}; nothing after it was applied and nothing was pruned; change the values or version to retry` };
  }
  if (r.foreign.length > 0) {
    const one = r.foreign.length === 1;
    return { phase: 'Failed', message: `${r.foreign.join(', ')} already exist${one ? 's' : ''} without Harbormaster's labels; rename or remove ${one ? 'it' : 'them'}` };
  }
  if (r.fighting) return { phase: 'Degraded', message: `another controller keeps changing ${r.fighting}; backing off` };
  const phase = runningPhase(prev, r.ready === r.readyTotal && r.applied === r.total);
  const message = phase === 'Ready'
    ? `all ${r.total} objects applied, ${r.ready}/${r.readyTotal} workloads ready`
    : `${r.applied}/${r.total} objects applied, ${r.ready}/${r.readyTotal} workloads ready`;
  return { phase, message };
}
