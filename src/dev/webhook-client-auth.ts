/**
 * How the local kube-apiserver authenticates to admission webhooks, set up
 * the way an operator sets up a real cluster for `serve --client-ca`: a
 * dedicated "webhook client CA" (only for this, so no other identity of the
 * cluster can call the webhooks), one client certificate it signs, a
 * kubeconfig whose `*` user presents that certificate to every webhook host,
 * and an AdmissionConfiguration that hands the kubeconfig to both webhook
 * admission plugins (`--admission-control-config-file`).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { generateCA, generateClientCert } from '../certs/generate.js';

/** Options of writeWebhookClientAuth. */
export interface WebhookClientAuthOptions {
  /** Directory for the files (the control plane's pki dir). */
  dir: string;
  now: Date;
  /** Validity of the CA and the client certificate, days (default 30: a dev cluster is short-lived). */
  days?: number;
}

/** The files written, by what reads them. */
export interface WebhookClientAuth {
  /** For the webhook server: `serve --client-ca` / ServeOptions.clientCaFile. */
  caFile: string;
  /** For kube-apiserver: `--admission-control-config-file`. */
  admissionConfigFile: string;
  /** The kubeconfig the AdmissionConfiguration points at (holds the client key). */
  kubeconfigFile: string;
}

/** The AdmissionConfiguration: both webhook plugins read credentials from `kubeconfigFile`. */
export function admissionConfiguration(kubeconfigFile: string): Record<string, unknown> {
  const webhook = { apiVersion: 'apiserver.config.k8s.io/v1', kind: 'WebhookAdmissionConfiguration', kubeConfigFile: kubeconfigFile };
  return {
    apiVersion: 'apiserver.config.k8s.io/v1',
    kind: 'AdmissionConfiguration',
    plugins: [
      { name: 'ValidatingAdmissionWebhook', configuration: webhook },
      { name: 'MutatingAdmissionWebhook', configuration: webhook },
    ],
  };
}

/**
 * Generates the webhook client CA and certificate and writes the CA, the
 * kubeconfig and the AdmissionConfiguration into `dir`. The CA's key is not
 * written: nothing needs to sign with it after start.
 */
export function writeWebhookClientAuth(options: WebhookClientAuthOptions): WebhookClientAuth {
  const days = options.days ?? 30;
  const ca = generateCA({ commonName: 'harbormaster-dev-webhook-client-ca', days, now: options.now });
  const client = generateClientCert({ ca, commonName: 'kube-apiserver-webhook-client', days, now: options.now });
  const b64 = (s: string): string => Buffer.from(s).toString('base64');
  const caFile = join(options.dir, 'webhook-client-ca.crt');
  const kubeconfigFile = join(options.dir, 'webhook-client.kubeconfig');
  const admissionConfigFile = join(options.dir, 'admission-configuration.yaml');
  writeFileSync(caFile, ca.cert, { mode: 0o644 });
  // Only `users` is read for webhooks; `*` matches every webhook host (service DNS name or URL host:port).
  const kubeconfig = {
    apiVersion: 'v1',
    kind: 'Config',
    users: [{ name: '*', user: { 'client-certificate-data': b64(client.cert), 'client-key-data': b64(client.key) } }],
  };
  writeFileSync(kubeconfigFile, stringify(kubeconfig), { mode: 0o600 });
  writeFileSync(admissionConfigFile, stringify(admissionConfiguration(kubeconfigFile)), { mode: 0o644 });
  return { caFile, admissionConfigFile, kubeconfigFile };
}
