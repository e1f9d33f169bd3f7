/** Names from SPEC 3.0 "Tenancy and ownership", in one place. */

/**
 * Namespace annotations with exactly this prefix are platform settings
 * (quota-profile, allow-best-effort, ingress-risk and any later ones). Keys
 * under subdomains such as `sidecars.harbormaster.io/` are not: tenants set
 * those themselves.
 */
export const PLATFORM_ANNOTATION_PREFIX = 'harbormaster.io/';

/**
 * Harbormaster's own ServiceAccount. It always counts as platform, whatever
 * the policy file says, so a policy edit cannot lock the server (addon
 * manager, reconcilers) out of the Namespaces it manages.
 */
export const HARBORMASTER_USERNAME = 'system:serviceaccount:harbormaster-system:harbormaster';

/** Prefix of the usernames the API server gives ServiceAccounts. */
export const SERVICE_ACCOUNT_USER_PREFIX = 'system:serviceaccount:';

export const RULES = {
  platformAnnotations: 'tenancy.platform-annotations',
} as const;
