/**
 * The in-cluster certificate manager (SPEC 4), run by the leader. It keeps the
 * Secret `harbormaster-tls` holding a serving certificate for the webhook
 * Service, renews it before 30 days of validity remain, and keeps `caBundle`
 * of every entry of our webhook configurations equal to the CA(s) in use —
 * old and new together while a CA rotates — touching no other field. The
 * pods see the Secret through their volume and reload it (certs/watcher.ts).
 */
import { X509Certificate } from 'node:crypto';
import type { KubeConfig } from '@kubernetes/client-node';
import { ApiError, rawRequest } from '../cluster/raw.js';
import type { Logger } from '../observability/log.js';
import { generateCA, generateCertificates, serviceDnsNames } from './generate.js';

const DAY = 24 * 3600 * 1000;

/** Key of harbormaster-tls holding the CA a rotation replaced, kept in caBundle until it expires. */
export const PREVIOUS_CA_KEY = 'ca-previous.crt';

export interface CertManagerOptions {
  kubeconfig: KubeConfig;
  namespace: string;
  service: string;
  secretName: string;
  /** Names of the Mutating/ValidatingWebhookConfigurations whose caBundle we own. */
  webhookConfigName: string;
  renewBeforeDays?: number;
  logger: Logger;
  now?: () => Date;
  onWrite?: (what: string) => void;
}

interface TlsSecret {
  metadata?: { resourceVersion?: string };
  data?: Record<string, string>;
}

const b64 = (s: string): string => Buffer.from(s).toString('base64');
const unb64 = (s: string | undefined): string => (s ? Buffer.from(s, 'base64').toString('utf8') : '');

/** Why a serving certificate must be replaced, or undefined when it is good. */
export function renewalReason(certPem: string, caPem: string, options: { dnsNames: string[]; now: Date; renewBeforeDays: number }): string | undefined {
  let cert: X509Certificate;
  let ca: X509Certificate;
  try {
    cert = new X509Certificate(certPem);
    ca = new X509Certificate(caPem);
  } catch {
    return 'missing or unreadable';
  }
  const limit = options.now.getTime() + options.renewBeforeDays * DAY;
  if (Date.parse(ca.validTo) < limit) return 'CA expires within the renewal window';
  if (Date.parse(cert.validTo) < limit) return `expires ${cert.validTo}`;
  if (!cert.verify(ca.publicKey)) return 'not signed by the CA';
  const sans = cert.subjectAltName ?? '';
  const missing = options.dnsNames.find((n) => !sans.split(', ').includes(`DNS:${n}`));
  return missing ? `SAN ${missing} missing` : undefined;
}

/** notAfter of a PEM certificate in ms, 0 when it does not parse. */
function validUntil(pem: string): number {
  try {
    return Date.parse(new X509Certificate(pem).validTo);
  } catch {
    return 0;
  }
}

/** PEM blocks of a bundle, deduplicated, without expired ones (empty PEMs are skipped). */
export function mergeBundle(pems: readonly string[], now: Date): string {
  const blocks = pems.flatMap((p) => p.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []);
  const seen = new Set<string>();
  const out: string[] = [];
  for (const b of blocks) {
    try {
      const c = new X509Certificate(b);
      if (Date.parse(c.validTo) < now.getTime() || seen.has(c.fingerprint256)) continue;
      seen.add(c.fingerprint256);
      out.push(b);
    } catch {
      // not a certificate: drop
    }
  }
  return out.join('\n') + '\n';
}

export class CertManager {
  readonly #o: CertManagerOptions;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: CertManagerOptions) {
    this.#o = options;
  }

  #now(): Date {
    return (this.#o.now ?? (() => new Date()))();
  }

  /** Checks now, then every hour. */
  start(): void {
    const tick = (): void => {
      this.reconcile().catch((err: unknown) => this.#o.logger.warn({ err: (err as Error).message }, 'certificate check failed; retrying'));
      this.#timer = setTimeout(tick, 3600_000);
      this.#timer.unref();
    };
    tick();
  }

  stop(): void {
    if (this.#timer) clearTimeout(this.#timer);
  }

  async reconcile(): Promise<void> {
    const { kubeconfig: kc, namespace, secretName } = this.#o;
    const path = `/api/v1/namespaces/${namespace}/secrets/${secretName}`;
    let secret: TlsSecret | undefined;
    try {
      secret = (await rawRequest<TlsSecret>(kc, { method: 'GET', path })).body;
    } catch (err) {
      if (!(err instanceof ApiError && err.code === 404)) throw err;
    }
    const now = this.#now();
    const dnsNames = serviceDnsNames(this.#o.service, namespace);
    const renewBeforeDays = this.#o.renewBeforeDays ?? 30;
    const caPem = unb64(secret?.data?.['ca.crt']);
    const previousPem = unb64(secret?.data?.[PREVIOUS_CA_KEY]);
    const reason = renewalReason(unb64(secret?.data?.['tls.crt']), caPem, { dnsNames, now, renewBeforeDays });
    if (reason === undefined) {
      // The CA in use and, until it expires, the one it replaced: a replica that has not reloaded yet still presents it.
      await this.#injectCaBundle(mergeBundle([caPem, previousPem], now));
      return;
    }
    await this.#issue({ secret, caPem, previousPem, reason, now, renewBeforeDays });
  }

  /** Issues a new serving certificate, under a new CA when the current one is missing or near its end. */
  async #issue(o: { secret: TlsSecret | undefined; caPem: string; previousPem: string; reason: string; now: Date; renewBeforeDays: number }): Promise<void> {
    const { kubeconfig: kc, namespace, secretName } = this.#o;
    const { secret, caPem, now } = o;
    let ca = { cert: caPem, key: unb64(secret?.data?.['ca.key']) };
    const caValid = ca.key.length > 0 && validUntil(ca.cert) > now.getTime() + o.renewBeforeDays * DAY;
    if (!caValid) ca = generateCA({ commonName: 'harbormaster-webhook-ca', days: 3650, now });
    // The old CA stays trusted (ca-previous.crt) until it expires: the replicas reload the Secret
    // one by one, and each presents the old pair until it has.
    const previous = caValid ? o.previousPem : caPem;
    // caBundle first: no replica may present a certificate of the new CA before the API server trusts it.
    await this.#injectCaBundle(mergeBundle([ca.cert, previous], now));
    const b = generateCertificates({ service: this.#o.service, namespace, ca, days: 365, now });
    const data: Record<string, string> = { 'tls.crt': b64(b.cert), 'tls.key': b64(b.key), 'ca.crt': b64(b.caCert), 'ca.key': b64(b.caKey) };
    if (mergeBundle([previous], now).trim() !== '') data[PREVIOUS_CA_KEY] = b64(previous);
    const body = {
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'kubernetes.io/tls',
      metadata: {
        name: secretName,
        namespace,
        labels: { 'app.kubernetes.io/managed-by': 'harbormaster' },
        ...(secret?.metadata?.resourceVersion ? { resourceVersion: secret.metadata.resourceVersion } : {}),
      },
      data,
    };
    const path = `/api/v1/namespaces/${namespace}/secrets`;
    if (secret) await rawRequest(kc, { method: 'PUT', path: `${path}/${secretName}`, body });
    else await rawRequest(kc, { method: 'POST', path, body });
    this.#o.onWrite?.('secret');
    this.#o.logger.info({ secret: `${namespace}/${secretName}`, reason: o.reason, newCA: !caValid }, 'serving certificate issued');
  }

  async #injectCaBundle(bundle: string): Promise<void> {
    const want = b64(bundle);
    for (const kind of ['mutatingwebhookconfigurations', 'validatingwebhookconfigurations']) {
      const path = `/apis/admissionregistration.k8s.io/v1/${kind}/${this.#o.webhookConfigName}`;
      let cfg: { webhooks?: Array<{ clientConfig?: { caBundle?: string } }> };
      try {
        cfg = (await rawRequest<typeof cfg>(this.#o.kubeconfig, { method: 'GET', path })).body;
      } catch (err) {
        if (err instanceof ApiError && err.code === 404) continue;
        throw err;
      }
      // A JSON patch of exactly the caBundle fields: nothing else of the configuration is ours.
      const ops = (cfg.webhooks ?? []).flatMap((w, i) =>
        w.clientConfig?.caBundle === want ? [] : [{ op: 'add', path: `/webhooks/${i}/clientConfig/caBundle`, value: want }],
      );
      if (ops.length === 0) continue;
      await rawRequest(this.#o.kubeconfig, { method: 'PATCH', path, body: ops, contentType: 'application/json-patch+json' });
      this.#o.onWrite?.(kind);
      this.#o.logger.info({ kind, name: this.#o.webhookConfigName, entries: ops.length }, 'caBundle updated');
    }
  }
}
