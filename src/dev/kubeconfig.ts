/**
 * Kubeconfig files for the local control plane, one per identity, with the
 * client certificate and key inline so a file is all a client needs.
 */
import { writeFileSync } from 'node:fs';
import { stringify } from 'yaml';

export function writeKubeconfig(path: string, server: string, caPem: string, user: { cert: string; key: string }, name: string): void {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const doc = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'harbormaster-dev', cluster: { server, 'certificate-authority-data': b64(caPem) } }],
    users: [{ name, user: { 'client-certificate-data': b64(user.cert), 'client-key-data': b64(user.key) } }],
    contexts: [{ name, context: { cluster: 'harbormaster-dev', user: name, namespace: 'default' } }],
    'current-context': name,
  };
  writeFileSync(path, stringify(doc), { mode: 0o600 });
}
