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
 * that name. Sets throughout: a hostile list of 30,000 names against 3,000
 * containers costs one pass over each.
 */
import type { DecisionBuilder } from '../../policy/decision.js';
import type { ContainerRef } from '../shared/podspec.js';
import { shown } from '../shared/values.js';
import { INCLUDE_SIDECARS_ANNOTATION, RULES, SKIP_CONTAINERS_ANNOTATION } from './names.js';
import { entries } from './references.js';

/** How many offending names one warning quotes before counting the rest. */
const SHOWN_NAMES = 5;

/** `"a", "b" and 12 more`: a bounded rendering of tenant-supplied names. */
export function someOf(names: readonly string[]): string {
  const head = names.slice(0, SHOWN_NAMES).map(shown).join(', ');
  return names.length > SHOWN_NAMES ? `${head} and ${names.length - SHOWN_NAMES} more` : head;
}

export interface TargetOptions {
  containers: readonly ContainerRef[];
  annotations: Readonly<Record<string, string>> | undefined;
  /** Names of the containers the platform injects as sidecars. */
  platformSidecars: ReadonlySet<string>;
  out: DecisionBuilder;
}

export function selectTargets({ containers, annotations, platformSidecars, out }: TargetOptions): ContainerRef[] {
  const skip = entries(annotations?.[SKIP_CONTAINERS_ANNOTATION]);
  const include = entries(annotations?.[INCLUDE_SIDECARS_ANNOTATION]);
  const present = new Set(containers.map((c) => c.name));

  const absent = [...skip].filter((n) => !present.has(n));
  if (absent.length === 1) {
    out.warn(RULES.skipContainers, `skip-containers names ${someOf(absent)}, which is not a container of this Pod`);
  } else if (absent.length > 1) {
    out.warn(RULES.skipContainers, `skip-containers names ${someOf(absent)}, which are not containers of this Pod; remove them`);
  }
  const notSidecars = [...include].filter((n) => !platformSidecars.has(n));
  if (notSidecars.length > 0) {
    const known = platformSidecars.size > 0 ? [...platformSidecars].sort().join(', ') : 'none are offered';
    out.warn(RULES.includeSidecars, `include-sidecars names ${someOf(notSidecars)}, which ${notSidecars.length === 1 ? 'is not a platform sidecar' : 'are not platform sidecars'} (${known}); the Pod's own containers get credentials anyway unless listed in ${SKIP_CONTAINERS_ANNOTATION}`);
  }
  return containers.filter((c) => !skip.has(c.name) && (!platformSidecars.has(c.name) || include.has(c.name)));
}
