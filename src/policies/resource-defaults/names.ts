/** Names from SPEC 3.1, in one place. */
export const PROFILE_ANNOTATION = 'harbormaster.io/quota-profile';
export const ALLOW_BEST_EFFORT_ANNOTATION = 'harbormaster.io/allow-best-effort';
export const QOS_ANNOTATION = 'harbormaster.io/qos';
export const BEST_EFFORT = 'best-effort';
export const DEFAULT_PROFILE = 'default';
export const LIMIT_RANGE_NAME = 'harbormaster-limits';
export const QUOTA_NAME = 'harbormaster-quota';
/** In namespaces that allow best-effort Pods: the BestEffort-scoped pod count. */
export const BEST_EFFORT_QUOTA_NAME = 'harbormaster-quota-best-effort';
/** In namespaces that allow best-effort Pods: the NotBestEffort-scoped compute quota. */
export const NOT_BEST_EFFORT_QUOTA_NAME = 'harbormaster-quota-not-best-effort';

/** Objects of these names are the reconciler's; only trusted writers may change them. */
export const MANAGED_OBJECT_NAMES: Readonly<Record<string, readonly string[]>> = {
  LimitRange: [LIMIT_RANGE_NAME],
  ResourceQuota: [QUOTA_NAME, BEST_EFFORT_QUOTA_NAME, NOT_BEST_EFFORT_QUOTA_NAME],
};

export const RULES = {
  containerDefaults: 'resource-defaults.container-defaults',
  validDefaults: 'resource-defaults.valid-defaults',
  extendedResources: 'resource-defaults.extended-resources',
  limits: 'resource-defaults.container-limits',
  podMax: 'resource-defaults.pod-max',
  bestEffortOptOut: 'resource-defaults.best-effort-opt-out',
  knownProfile: 'resource-defaults.known-profile',
  managedObjects: 'resource-defaults.managed-objects',
} as const;
