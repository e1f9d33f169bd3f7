/**
 * What runs only on the replica holding the lease: the namespace reconciler,
 * the addon manager, the ingress conflict reporter, the data-loading controller and (in-cluster) the
 * certificate manager. Started together on gaining the lease, stopped
 * together on losing it; a new lease gets fresh instances.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import type { Addon } from '../catalog/catalog.js';
import { AddonManager } from '../addons/manager.js';
import type { HelmRenderer } from '../addons/render.js';
import { CertManager } from '../certs/manager.js';
import type { ClusterStore } from '../cluster/store.js';
import type { PolicyConfig } from '../config/types.js';
import type { Logger } from '../observability/log.js';
import type { Metrics } from '../observability/metrics.js';
import { IngressConflictReporter } from '../ingress-conflicts/reporter.js';
import { DataLoadingController } from '../data-loading/controller.js';
import { NamespaceReconciler } from '../namespace-defaults/reconciler.js';
import { PeriodicAudit } from '../audit/periodic.js';
import { builtinPolicies } from '../policies/index.js';

export interface LeaderTaskDeps {
  kubeconfig: KubeConfig;
  config: () => PolicyConfig;
  store: ClusterStore;
  catalog: readonly Addon[];
  renderer: HelmRenderer;
  logger: Logger;
  metrics: Metrics;
  manageCerts: boolean;
  /** `serve --audit-interval`: audit the cluster this often and write PolicyReports that changed. */
  auditIntervalMs?: number;
}

export class LeaderTasks {
  readonly #d: LeaderTaskDeps;
  namespaces: NamespaceReconciler | undefined;
  addons: AddonManager | undefined;
  conflicts: IngressConflictReporter | undefined;
  certs: CertManager | undefined;
  dataLoading: DataLoadingController | undefined;
  audit: PeriodicAudit | undefined;

  constructor(deps: LeaderTaskDeps) {
    this.#d = deps;
  }

  start(): void {
    const { kubeconfig, logger, metrics } = this.#d;
    const writes = (reconciler: string) => (verb: string, kind: string) => metrics.reconcileWrites.inc({ reconciler, verb, kind });
    metrics.leader.set(1);
    this.namespaces = new NamespaceReconciler({ kubeconfig, config: this.#d.config, logger, onWrite: writes('namespaces') });
    void this.namespaces.start();
    this.addons = new AddonManager({ kubeconfig, catalog: this.#d.catalog, renderer: this.#d.renderer, logger, onWrite: writes('addons') });
    void this.addons.start();
    this.conflicts = new IngressConflictReporter({
      kubeconfig,
      store: this.#d.store,
      logger,
      defaultClass: () => this.#d.config().ingress.classes.find((c) => c.default)?.name,
      onConflicts: (n) => metrics.ingressConflicts.set(n),
      onWrite: () => writes('ingress-conflicts')('create', 'Event'),
    });
    this.conflicts.start();
    this.dataLoading = new DataLoadingController({ kubeconfig, config: this.#d.config, view: this.#d.store, logger, onWrite: writes('data-loading') });
    void this.dataLoading.start();
    if (this.#d.manageCerts) {
      this.certs = new CertManager({
        kubeconfig,
        namespace: 'harbormaster-system',
        service: 'harbormaster',
        secretName: 'harbormaster-tls',
        webhookConfigName: 'harbormaster',
        logger,
        onWrite: (what) => writes('certs')('write', what),
      });
      this.certs.start();
    }
    if (this.#d.auditIntervalMs !== undefined && this.#d.auditIntervalMs > 0) {
      this.audit = new PeriodicAudit({
        kubeconfig,
        policies: builtinPolicies(this.#d.catalog),
        config: this.#d.config,
        intervalMs: this.#d.auditIntervalMs,
        logger,
        onWrite: (verb, kind) => writes('audit')(verb, kind),
      });
      this.audit.start();
    }
  }

  stop(): void {
    this.#d.metrics.leader.set(0);
    this.namespaces?.stop();
    this.addons?.stop();
    this.conflicts?.stop();
    this.certs?.stop();
    this.audit?.stop();
    this.dataLoading?.stop();
    this.namespaces = this.addons = this.conflicts = this.certs = undefined;
    this.audit = undefined;
    this.dataLoading = undefined;
  }

  /** After a policy reload: re-check every namespace against its profile. */
  policyReloaded(): void {
    this.namespaces?.resyncAll();
  }
}
