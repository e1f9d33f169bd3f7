/**
 * The client CA bundle of `serve --client-ca FILE`: the certificates a
 * caller's client certificate must chain to before the admission paths answer
 * it. Read and checked here so a typo'd or half-written file is refused
 * instead of silently turning into "no caller is trusted" (every webhook call
 * fails) or, worse, into Node's default public roots.
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/**
 * Reads a PEM bundle of one or more CA certificates and returns it as text
 * (what `tls.createSecureContext({ ca })` takes). Throws, naming the file,
 * when it holds no certificate, a block that does not parse, or a
 * certificate that is not a CA: a server must not start (and a reload must
 * not switch) to a bundle that cannot verify anyone.
 */
export function readClientCa(path: string): string {
  const text = readFileSync(path, 'utf8');
  const blocks = text.match(PEM_BLOCK) ?? [];
  if (blocks.length === 0) throw new Error(`${path}: no PEM certificate in the client CA file`);
  blocks.forEach((block, i) => {
    let cert: X509Certificate;
    try {
      cert = new X509Certificate(block);
    } catch {
      throw new Error(`${path}: certificate ${i + 1} of the client CA file does not parse`);
    }
    if (!cert.ca) throw new Error(`${path}: certificate ${i + 1} (${cert.subject.replace(/\n/g, ', ')}) is not a CA certificate`);
  });
  return blocks.join('\n') + '\n';
}
