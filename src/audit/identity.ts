/**
 * Who an audit evaluates as. Every existing object is judged as a CREATE by
 * this one identity, whoever last wrote it: a tenant with no platform group,
 * so platform-only rules (tenancy.platform-annotations,
 * resource-defaults.managed-objects) fire as they would for a tenant. An
 * object the platform set up legitimately is then reported too: the audit
 * answers "could a tenant create this today?", and says so in its output.
 */
import type { PolicyConfig } from '../config/types.js';
import type { UserInfo } from '../kube/types.js';
import { isPlatform } from '../policies/tenancy/identity.js';

export const AUDIT_USER: Readonly<Required<Pick<UserInfo, 'username' | 'groups'>>> = Object.freeze({
  username: 'harbormaster-audit',
  groups: ['system:authenticated'],
});

export const AUDIT_IDENTITY_NOTE =
  `every object is evaluated as a CREATE by the tenant "${AUDIT_USER.username}" (groups: ${AUDIT_USER.groups.join(', ')}), ` +
  'never as the platform: platform-only rules report objects the platform set up as they would for a tenant';

/** A policy file that lists the audit identity as platform would make the audit blind to platform-only rules. */
export function auditIdentityProblem(config: PolicyConfig): string | undefined {
  if (isPlatform(AUDIT_USER, config) || config.resourceDefaults.trustedWriters.includes(AUDIT_USER.username)) {
    return `the policy file counts "${AUDIT_USER.username}" as the platform or a trusted writer; an audit must run as a tenant`;
  }
  return undefined;
}
