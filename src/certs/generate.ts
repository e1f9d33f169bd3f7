/**
 * CA and serving certificate for the webhook Service, made with node-forge.
 * The serving certificate's SANs cover every name the API server may use for
 * the Service: <svc>, <svc>.<ns>, <svc>.<ns>.svc, <svc>.<ns>.svc.cluster.local
 * (plus extra DNS names / IPs for local development).
 */
import { randomBytes } from 'node:crypto';
import forge from 'node-forge';

export interface CertOptions {
  service: string;
  namespace: string;
  extraDnsNames?: string[];
  extraIPs?: string[];
  /** Validity of the serving certificate, days. */
  days?: number;
  /** Validity of the CA, days. */
  caDays?: number;
  now?: Date;
  /** An existing CA to sign with (rotation of the serving cert only). */
  ca?: { cert: string; key: string };
}

export interface CertBundle {
  caCert: string;
  caKey: string;
  cert: string;
  key: string;
}

export function serviceDnsNames(service: string, namespace: string): string[] {
  return [service, `${service}.${namespace}`, `${service}.${namespace}.svc`, `${service}.${namespace}.svc.cluster.local`];
}

function serial(): string {
  // Positive 128-bit serial: clear the top bit so DER does not read it as negative.
  const b = randomBytes(16);
  b[0] = (b[0] ?? 0) & 0x7f;
  return b.toString('hex');
}

function validity(cert: forge.pki.Certificate, now: Date, days: number): void {
  cert.validity.notBefore = new Date(now.getTime() - 5 * 60 * 1000); // tolerate small clock skew
  cert.validity.notAfter = new Date(now.getTime() + days * 24 * 3600 * 1000);
}

function keyPair(): forge.pki.rsa.KeyPair {
  return forge.pki.rsa.generateKeyPair({ bits: 2048, e: 0x10001 });
}

export function generateCA(options: { commonName: string; days: number; now: Date }): { cert: string; key: string } {
  const keys = keyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = serial();
  validity(cert, options.now, options.days);
  const attrs = [
    { name: 'commonName', value: options.commonName },
    { name: 'organizationName', value: 'harbormaster' },
  ];
  cert.setSubject(attrs);
  cert.setIssuer(attrs);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(keys.privateKey, forge.md.sha256.create());
  return { cert: forge.pki.certificateToPem(cert), key: forge.pki.privateKeyToPem(keys.privateKey) };
}

export function generateCertificates(options: CertOptions): CertBundle {
  const now = options.now ?? new Date();
  const ca = options.ca ?? generateCA({ commonName: 'harbormaster-webhook-ca', days: options.caDays ?? 3650, now });
  const caCert = forge.pki.certificateFromPem(ca.cert);
  const caKey = forge.pki.privateKeyFromPem(ca.key);

  const keys = keyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = serial();
  validity(cert, now, options.days ?? 365);
  const dnsNames = [...serviceDnsNames(options.service, options.namespace), ...(options.extraDnsNames ?? [])];
  cert.setSubject([{ name: 'commonName', value: `${options.service}.${options.namespace}.svc` }]);
  cert.setIssuer(caCert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    {
      name: 'subjectAltName',
      altNames: [...dnsNames.map((value) => ({ type: 2, value })), ...(options.extraIPs ?? []).map((ip) => ({ type: 7, ip }))],
    },
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() },
  ]);
  cert.sign(caKey, forge.md.sha256.create());
  return {
    caCert: ca.cert,
    caKey: ca.key,
    cert: forge.pki.certificateToPem(cert),
    key: forge.pki.privateKeyToPem(keys.privateKey),
  };
}

export interface ClientCertOptions {
  ca: { cert: string; key: string };
  /** Becomes the username. */
  commonName: string;
  /** Become the groups. */
  organizations?: string[];
  days?: number;
  now?: Date;
}

/** A client certificate for x509 authentication to the API server (dev control plane). */
export function generateClientCert(options: ClientCertOptions): { cert: string; key: string } {
  const now = options.now ?? new Date();
  const caCert = forge.pki.certificateFromPem(options.ca.cert);
  const caKey = forge.pki.privateKeyFromPem(options.ca.key);
  const keys = keyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = serial();
  validity(cert, now, options.days ?? 30);
  cert.setSubject([{ name: 'commonName', value: options.commonName }, ...(options.organizations ?? []).map((o) => ({ name: 'organizationName', value: o }))]);
  cert.setIssuer(caCert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', clientAuth: true },
  ]);
  cert.sign(caKey, forge.md.sha256.create());
  return { cert: forge.pki.certificateToPem(cert), key: forge.pki.privateKeyToPem(keys.privateKey) };
}
