/** Host syntax (ownership is in ownership.ts). */
import { DNS_SUBDOMAIN } from './value-types.js';

/** DNS-1123 subdomain, with `*` allowed only as the whole leftmost label. */
export function hostProblem(host: string): string | undefined {
  if (host !== host.toLowerCase()) return 'must be lower case';
  const name = host.startsWith('*.') ? host.slice(2) : host;
  if (name.includes('*')) return 'may use * only as the whole leftmost label (*.example.com)';
  if (!DNS_SUBDOMAIN.test(name)) return 'is not a valid DNS name';
  if (host.startsWith('*.') && !name.includes('.')) return 'is a wildcard over a top-level domain';
  return undefined;
}
