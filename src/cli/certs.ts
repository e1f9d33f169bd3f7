/** `harbormaster certs generate`: writes ca.crt, tls.crt, tls.key (and ca.key) to --out. */
import { generateCertificates } from '../certs/generate.js';
import { writeBundle } from '../certs/files.js';
import type { CliIO } from './review.js';

export interface CertsCliOptions {
  out: string;
  service: string;
  namespace: string;
  dns: string[];
  ip: string[];
  days: string;
}

export function runCertsGenerate(options: CertsCliOptions, io: CliIO): number {
  const days = Number(options.days);
  if (!Number.isInteger(days) || days < 1 || days > 3650) {
    io.err('certs generate: --days must be a whole number from 1 to 3650\n');
    return 2;
  }
  const bundle = generateCertificates({
    service: options.service,
    namespace: options.namespace,
    extraDnsNames: options.dns,
    extraIPs: options.ip,
    days,
  });
  writeBundle(options.out, bundle);
  io.out(`wrote ${options.out}/{ca.crt,tls.crt,tls.key,ca.key} for ${options.service}.${options.namespace}.svc (valid ${days} days)\n`);
  return 0;
}
