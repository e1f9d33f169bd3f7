/**
 * Who counts as the platform (SPEC 3.0 "Who is who"): the identities listed in
 * the policy file's `platform` section plus Harbormaster's own ServiceAccount.
 * Everyone else is a tenant. The identity comes from the API server's
 * `userInfo`, never from the object, so a tenant cannot claim it.
 */
import type { UserInfo } from '../../kube/types.js';
import type { PolicyConfig } from '../../config/types.js';
import { HARBORMASTER_USERNAME, SERVICE_ACCOUNT_USER_PREFIX } from './names.js';

/** `team-a/ci` → `system:serviceaccount:team-a:ci`, the username the API server authenticates it as. */
export function serviceAccountUsername(ref: string): string {
  const slash = ref.indexOf('/');
  return `${SERVICE_ACCOUNT_USER_PREFIX}${ref.slice(0, slash)}:${ref.slice(slash + 1)}`;
}

/**
 * True when the requester is the platform: its username is Harbormaster's
 * own, listed in `platform.users` or names a ServiceAccount of
 * `platform.serviceAccounts`, or one of its groups is in `platform.groups`.
 * Exact string matches only: no prefixes, no case folding.
 */
export function isPlatform(userInfo: UserInfo, config: Pick<PolicyConfig, 'platform'>): boolean {
  const { users, groups, serviceAccounts } = config.platform;
  const username = typeof userInfo.username === 'string' ? userInfo.username : '';
  if (username !== '') {
    if (username === HARBORMASTER_USERNAME || users.includes(username)) return true;
    if (username.startsWith(SERVICE_ACCOUNT_USER_PREFIX) && serviceAccounts.some((sa) => serviceAccountUsername(sa) === username)) return true;
  }
  const own = Array.isArray(userInfo.groups) ? userInfo.groups : [];
  return own.some((g) => typeof g === 'string' && groups.includes(g));
}
