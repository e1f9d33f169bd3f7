/** Which profile governs a namespace, and whether it allows best-effort Pods. */
import type { ClusterView } from '../../policy/view.js';
import type { PolicyConfig, QuotaProfile } from '../../config/types.js';
import { ALLOW_BEST_EFFORT_ANNOTATION, DEFAULT_PROFILE, PROFILE_ANNOTATION } from './names.js';

export interface ResolvedProfile {
  name: string;
  profile: QuotaProfile;
  allowBestEffort: boolean;
  /** Set when the namespace names a profile that does not exist (the default is used instead). */
  unknownName?: string;
}

export function resolveProfile(namespace: string | undefined, cluster: ClusterView, config: PolicyConfig): ResolvedProfile | undefined {
  const ns = namespace ? cluster.getNamespace(namespace) : undefined;
  const requested = ns?.annotations[PROFILE_ANNOTATION] ?? DEFAULT_PROFILE;
  const profiles = config.resourceDefaults.profiles;
  const allowBestEffort = ns?.annotations[ALLOW_BEST_EFFORT_ANNOTATION] === 'true';
  const profile = Object.hasOwn(profiles, requested) ? profiles[requested] : undefined;
  if (profile) return { name: requested, profile, allowBestEffort };
  const fallback = profiles[DEFAULT_PROFILE];
  return fallback ? { name: DEFAULT_PROFILE, profile: fallback, allowBestEffort, unknownName: requested } : undefined;
}
