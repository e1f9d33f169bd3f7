/** The GCP credential volume's name, kept a valid DNS label for any Secret name. */
import { createHash } from 'node:crypto';

/**
 * `hm-gcp-<secret>` as SPEC 3.2 names it. A volume name must be a DNS label
 * (≤ 63, no dots), a Secret name need not be: such names are shortened with a
 * hash so two Secrets never share a volume.
 */
export function gcpVolumeName(secret: string): string {
  const plain = `hm-gcp-${secret}`;
  if (plain.length <= 63 && !secret.includes('.')) return plain;
  const hash = createHash('sha256').update(secret).digest('hex').slice(0, 8);
  return `hm-gcp-${secret.replace(/\./g, '-').slice(0, 46).replace(/-+$/, '')}-${hash}`;
}
