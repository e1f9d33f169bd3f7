/**
 * Pipeline step 4, apply: server-side apply of every desired object that is
 * missing or drifted, compared against the watch caches first so nothing is
 * written at steady state. Never takes over an object without our labels,
 * and backs off from an object another controller keeps changing. When the
 * API server refuses an object (invalid, immutable field, denied by
 * admission), it stops there: the rest is not applied, nothing is pruned,
 * and the caller reports the refusal.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import type { KubeObject } from '../kube/types.js';
import { ApiError, serverSideApply } from '../cluster/raw.js';
import { FIELD_MANAGER } from '../controller/names.js';
import type { Logger } from '../observability/log.js';
import type { Addon } from '../catalog/catalog.js';
import { keepSatisfiedClaimTemplates } from './claim-templates.js';
import { kindInfo } from './kinds.js';
import { unlabelled, type ManagedObjects } from './objects.js';
import { isDrifted, objectKey } from './plan.js';
import type { AddonStatus } from './status.js';

export interface ApplyOptions {
  kubeconfig: KubeConfig;
  logger: Logger;
  objects: ManagedObjects;
  addon: Addon;
  desired: readonly KubeObject[];
  prev: AddonStatus | undefined;
  /** True when `key` was healed too often lately (the caller schedules the retry). */
  rateLimited: (key: string) => boolean;
  onApplied: (kind: string) => void;
  /** A drifted or deleted object was put back. */
  onHealed: (message: string) => Promise<void>;
}

export interface ApplyOutcome {
  /** Desired objects now in place (applied or already matching). */
  applied: number;
  /** An object another controller keeps changing, left alone for now. */
  fighting: string | undefined;
  /** Objects that exist without our labels, so were not applied. */
  foreign: string[];
  /** The object the API server refused, with its message; nothing after it was applied. */
  refused: { key: string; message: string } | undefined;
}

/** Answers that will not change by retrying the same object: bad request, forbidden, not found (no such kind), invalid. */
function isRefusal(err: unknown): err is ApiError {
  return err instanceof ApiError && [400, 403, 404, 422].includes(err.code);
}

export async function applyDesired(o: ApplyOptions): Promise<ApplyOutcome> {
  const { addon, prev } = o;
  const outcome: ApplyOutcome = { applied: 0, fighting: undefined, foreign: [], refused: undefined };
  for (const obj of o.desired) {
    const actual = o.objects.get(String(obj.kind), obj.metadata?.name ?? '', obj.metadata?.namespace);
    if (!isDrifted(obj, actual)) {
      outcome.applied++;
      continue;
    }
    const key = objectKey(obj);
    if (!actual) {
      // Not in our (label-selected) caches: an object of that name without our labels must not be taken over.
      const existing = await unlabelled(o.kubeconfig, obj);
      if (existing === 'namespace') {
        outcome.applied++; // a Namespace the user made: use it, leave it as it is
        continue;
      }
      if (existing === 'foreign') {
        outcome.foreign.push(key);
        continue;
      }
    }
    if (actual && o.rateLimited(key)) {
      outcome.fighting = key;
      continue;
    }
    try {
      await serverSideApply(o.kubeconfig, keepSatisfiedClaimTemplates(obj, actual), kindInfo(obj.kind)?.resource ?? '', FIELD_MANAGER);
    } catch (err) {
      if (!isRefusal(err)) throw err;
      outcome.refused = { key, message: err.message };
      return outcome;
    }
    o.onApplied(String(obj.kind));
    outcome.applied++;
    if (actual || (prev && prev.objects.applied > 0 && prev.phase !== 'Disabled')) {
      o.logger.info({ addon: addon.name, object: key }, 'drift undone');
      await o.onHealed(`${addon.name}: ${actual ? 're-applied' : 're-created'} ${key}`);
    }
  }
  return outcome;
}
