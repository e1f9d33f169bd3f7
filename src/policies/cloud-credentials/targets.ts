/**
 * Which containers get the Pod's credentials: every container and
 * initContainer, minus `skip-containers`, minus platform sidecars the Pod did
 * not name in `include-sidecars`.
 *
 * A platform sidecar is a container whose name is one the platform's addon
 * catalog injects (e.g. `fluent-bit`). Recognition only ever *withholds*
 * credentials, so a tenant cannot gain anything by naming a container like
 * a sidecar (it just loses the credentials, until listed in
 * include-sidecars), and cannot make a real sidecar unrecognised: the names
 * come from the platform's catalog, and addon-sidecars always injects under
 * that name. Each list is scanned once against a set of at most the Pod's
 * container names: 30,000 names against 3,000 containers cost one pass each.
 */
import type { DecisionBuilder } from '../../policy/decision.js';
import type { ContainerRef } from '../shared/podspec.js';
import { shown } from '../shared/values.js';
import { INCLUDE_SIDECARS_ANNOTATION, RULES, SKIP_CONTAINERS_ANNOTATION } from './names.js';
import { forEachEntry } from './references.js';

/** How many offending names one warning quotes before counting the rest. */
const SHOWN_NAMES = 5;

export interface TargetOptions {
  containers: readonly ContainerRef[];
  annotations: Readonly<Record<string, string>> | undefined;
  /** Names of the containers the platform injects as sidecars. */
  platformSidecars: ReadonlySet<string>;
  out: DecisionBuilder;
}

/**
 * The entries of a list that name a member of `names` (at most `names.size`
 * of them), and a bounded sample of the others with their count. Only the
 * small set is built: membership is checked against `names`.
 */
function split(value: string | undefined, names: ReadonlySet<string>): { hits: Set<string>; misses: string[]; missCount: number } {
  const hits = new Set<string>();
  const misses: string[] = [];
  let missCount = 0;
  forEachEntry(value, (e) => {
    if (names.has(e)) hits.add(e);
    else {
      missCount++;
      if (misses.length < SHOWN_NAMES && !misses.includes(e)) misses.push(e);
    }
  });
  return { hits, misses, missCount };
}

/** `"a", "b" and 12 more`: a bounded rendering of tenant-supplied names. */
function some(sample: readonly string[], count: number): string {
  const head = sample.map(shown).join(', ');
  return count > sample.length ? `${head} and ${count - sample.length} more` : head;
}

export function selectTargets({ containers, annotations, platformSidecars, out }: TargetOptions): ContainerRef[] {
  const present = new Set(containers.map((c) => c.name));
  const skip = split(annotations?.[SKIP_CONTAINERS_ANNOTATION], present);
  const include = split(annotations?.[INCLUDE_SIDECARS_ANNOTATION], platformSidecars);

  if (skip.missCount === 1) {
    out.warn(RULES.skipContainers, `skip-containers names ${some(skip.misses, 1)}, which is not a container of this Pod`);
  } else if (skip.missCount > 1) {
    out.warn(RULES.skipContainers, `skip-containers names ${some(skip.misses, skip.missCount)}, which are not containers of this Pod; remove them`);
  }
  if (include.missCount > 0) {
    const known = platformSidecars.size > 0 ? [...platformSidecars].sort().join(', ') : 'none are offered';
    out.warn(
      RULES.includeSidecars,
      `include-sidecars names ${some(include.misses, include.missCount)}, which ${include.missCount === 1 ? 'is not a platform sidecar' : 'are not platform sidecars'} (${known}); the Pod's own containers get credentials anyway unless listed in ${SKIP_CONTAINERS_ANNOTATION}`,
    );
  }
  return containers.filter((c) => !skip.hits.has(c.name) && (!platformSidecars.has(c.name) || include.hits.has(c.name)));
}
