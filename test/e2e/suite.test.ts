/**
 * The e2e suite: one real control plane (etcd + kube-apiserver +
 * kube-controller-manager, built from the pinned Go modules on first use)
 * with Harbormaster registered, shared by every case below.
 */
import { after, before, describe } from 'node:test';
import { admissionCases, outageCases } from './admission.cases.js';
import { startE2E, type E2E } from './env.js';
import { resourceDefaultsCases } from './resource-defaults.cases.js';
import { cloudCredentialsCases } from './cloud-credentials.cases.js';
import { networkCases } from './network.cases.js';
import { addonCases } from './addons.cases.js';
import { addonRunCases } from './addons-run.cases.js';
import { certCases } from './certs.cases.js';
import { sidecarCases } from './sidecars.cases.js';
import { clientAuthCases } from './client-auth.cases.js';
import { tenancyCases } from './tenancy.cases.js';
import { nodesCases } from './nodes.cases.js';
import { modeCases } from './modes.cases.js';
import { auditCases } from './audit.cases.js';
import { parityCases } from './parity.cases.js';
import { dataLoadingCases } from './data-loading.cases.js';
import { rbacCases } from './rbac.cases.js';

describe('e2e against a real control plane', () => {
  let e2e: E2E | undefined;
  const get = (): E2E => {
    if (!e2e) throw new Error('environment not started');
    return e2e;
  };
  before(
    async () => {
      e2e = await startE2E();
    },
    { timeout: 30 * 60_000 },
  );
  after(async () => {
    await e2e?.stop();
  });

  admissionCases(get);
  resourceDefaultsCases(get);
  cloudCredentialsCases(get);
  networkCases(get);
  modeCases(get);
  addonCases(get);
  addonRunCases(get);
  sidecarCases(get);
  clientAuthCases(get);
  tenancyCases(get);
  rbacCases(get);
  nodesCases(get);
  auditCases(get);
  // After every admission case that runs while the server is up: replays what was recorded.
  parityCases(get);
  // After parity: its loader Pods are admitted for kube-system's job-controller, which a replay as the tenant is not.
  dataLoadingCases(get);
  // Last: stops the webhook server.
  outageCases(get);
  // After the outage: it rewrites the webhooks' caBundle.
  certCases(get);
});
