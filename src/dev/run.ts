/**
 * `harbormaster dev` (npm start): builds or finds the binaries, starts the
 * environment, prints how to use it, and tears everything down on Ctrl-C.
 */
import { join } from 'node:path';
import { pino } from 'pino';
import { createLogger } from '../observability/log.js';
import { PACKAGE_ROOT } from '../paths.js';
import { ensureBinaries } from './binaries.js';
import { startDevEnvironment } from './environment.js';

export interface DevIO {
  out: (text: string) => void;
  err: (text: string) => void;
}

export async function runDevEnvironment(options: { port: number }, io: DevIO): Promise<number> {
  const started = Date.now();
  const progress = (line: string) => io.err(`[dev ${((Date.now() - started) / 1000).toFixed(1)}s] ${line}\n`);
  progress('locating kube-apiserver, kube-controller-manager, kube-scheduler, kubectl, etcd, helm, kwok (built once, then cached)');
  const binaries = await ensureBinaries();
  const env = await startDevEnvironment({
    binaries,
    logger: createLogger({ level: process.env.HARBORMASTER_LOG_LEVEL ?? 'warn', destination: pino.destination(2) }),
    port: options.port,
    progress,
  });
  const kc = env.controlPlane.kubeconfigs.admin;
  const example = join(PACKAGE_ROOT, 'examples', 'pod.yaml');
  io.out(`
Harbormaster is serving on https://127.0.0.1:${env.server.port} and registered with a local control plane
(ready in ${((Date.now() - started) / 1000).toFixed(1)}s).

  kubeconfig (cluster-admin): ${kc}
  kubeconfig (tenant):        ${env.controlPlane.kubeconfigs.tenant}
  nodes (simulated by kwok):  ${env.controlPlane.nodes.join(', ') || 'none: Pods stay Pending'}
  metrics:                    http://127.0.0.1:${env.server.metricsPort}/metrics
  webhook client CA:          ${env.controlPlane.webhookClientCaFile} (/mutate, /validate answer only the API server)

Try, in another terminal:

  export KUBECONFIG=${kc}
  alias kubectl=${binaries.kubectl}
  kubectl apply -f ${example} && kubectl get pod hello -o jsonpath='{.spec.containers[*].resources}{"\\n"}'
  kubectl apply -f ${join(PACKAGE_ROOT, 'examples', 'deployment-too-big.yaml')}    # denied: [resource-defaults.container-limits]
  ${join(PACKAGE_ROOT, 'bin', 'harbormaster.js')} addons enable prometheus    # follows it to Ready on the simulated nodes
  ${join(PACKAGE_ROOT, 'bin', 'harbormaster.js')} addons list

Ctrl-C stops everything and removes ${env.controlPlane.dir}.
`);
  // The handler stays installed while we stop: a second signal (a second Ctrl-C, or a supervisor
  // that signals the whole process group) forces the exit, and the exit hook still kills the
  // control plane and removes its directory instead of Node dying with them running.
  let stopping = false;
  await new Promise<void>((resolve) => {
    const onSignal = (): void => {
      if (stopping) {
        io.err('second signal: forcing the stop\n');
        process.exit(130);
      }
      stopping = true;
      resolve();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  progress('stopping');
  await env.stop();
  progress('stopped; temp dir removed');
  return 0;
}
