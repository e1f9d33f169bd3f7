/**
 * The parts of `serve` that talk to an API server: the kubeconfig, the
 * informers behind the cluster view, and the leader-elected reconcilers.
 * serve.ts imports this file only when it runs against a cluster, so the
 * Kubernetes client library is never loaded by `serve --state`.
 */
import { hostname } from 'node:os';
import { KubeConfig } from '@kubernetes/client-node';
import type { HelmRenderer } from '../addons/render.js';
import type { Addon } from '../catalog/catalog.js';
import { InformerSet } from '../cluster/informers.js';
import { ClusterStore } from '../cluster/store.js';
import type { PolicyConfig } from '../config/types.js';
import { LeaderElector } from '../controller/leader.js';
import type { Logger } from '../observability/log.js';
import type { Metrics } from '../observability/metrics.js';
import { LeaderTasks } from './leader-tasks.js';
import type { ServeOptions } from './serve.js';

export interface ClusterMode {
  store: ClusterStore;
  informers: InformerSet;
  elector: LeaderElector | undefined;
  tasks: LeaderTasks | undefined;
}

function loadKubeConfig(path: string | undefined): KubeConfig {
  const kc = new KubeConfig();
  if (path) kc.loadFromFile(path);
  else kc.loadFromCluster();
  return kc;
}

export function startClusterMode(d: {
  options: ServeOptions;
  config: () => PolicyConfig;
  catalog: readonly Addon[];
  renderer: HelmRenderer;
  logger: Logger;
  metrics: Metrics;
}): ClusterMode {
  const { options, logger } = d;
  const kubeconfig = loadKubeConfig(options.kubeconfig);
  const store = new ClusterStore();
  const informers = new InformerSet({ kubeconfig, store, logger });
  informers.start();
  if (options.reconcilers === false) return { store, informers, elector: undefined, tasks: undefined };
  const tasks = new LeaderTasks({
    kubeconfig,
    config: d.config,
    store,
    catalog: d.catalog,
    renderer: d.renderer,
    logger,
    metrics: d.metrics,
    manageCerts: options.manageCerts === true,
    ...(options.auditIntervalMs ? { auditIntervalMs: options.auditIntervalMs } : {}),
  });
  const elector = new LeaderElector({
    kubeconfig,
    namespace: 'harbormaster-system',
    name: 'harbormaster',
    identity: options.identity ?? process.env.POD_NAME ?? `${hostname()}-${process.pid}`,
    logger,
    onStartedLeading: () => tasks.start(),
    onStoppedLeading: () => tasks.stop(),
  });
  elector.start();
  return { store, informers, elector, tasks };
}
