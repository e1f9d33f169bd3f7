/**
 * Measures the reconcilers' API writes over an idle period on the real local
 * control plane, with N tenant namespaces and all four addons enabled, and the
 * server's memory: node --import tsx bench/idle-writes.ts [seconds=300] [namespaces=20]
 */
import { ensureBinaries } from '../src/dev/binaries.js';
import { startDevEnvironment } from '../src/dev/environment.js';
import { kubectlOk } from '../src/dev/kubectl.js';
import { silentLogger } from '../src/observability/log.js';

const seconds = Number(process.argv[2] ?? 300);
const namespaces = Number(process.argv[3] ?? 20);
const bin = await ensureBinaries();
const env = await startDevEnvironment({ binaries: bin, logger: silentLogger() });
const admin = env.controlPlane.kubeconfigs.admin;
const writes = async () => (await env.server.metrics.reconcileWrites.get()).values.reduce((s, v) => s + v.value, 0);
try {
  const t0 = Date.now();
  for (let i = 0; i < namespaces; i++) {
    const ann = i % 3 === 0 ? 'harbormaster.io/allow-best-effort: "true"' : `harbormaster.io/quota-profile: ${['default', 'small', 'large'][i % 3]}`;
    await kubectlOk(bin.kubectl, admin, ['apply', '-f', '-'], `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: idle-${i}\n  annotations:\n    ${ann}\n`);
  }
  await kubectlOk(bin.kubectl, admin, [
    'annotate',
    'cluster',
    'local',
    ...['datadog', 'prometheus', 'efk', 'dashboard'].map((a) => `addons.harbormaster.io/${a}=enabled`),
  ]);
  for (;;) {
    await env.server.namespaceReconciler()?.idle();
    await env.server.addonManager()?.idle();
    const w = await writes();
    await new Promise((r) => setTimeout(r, 2000));
    if ((await writes()) === w) break;
  }
  const setup = await writes();
  console.log(
    `set-up: ${namespaces} namespaces (+ default) and 4 addons, ${setup} writes, converged in ${((Date.now() - t0) / 1000).toFixed(1)} s; render cache ${JSON.stringify(env.server.renderer.stats)}`,
  );
  const mem0 = process.memoryUsage().rss;
  await new Promise((r) => setTimeout(r, seconds * 1000));
  console.log(
    `idle ${seconds} s: ${(await writes()) - setup} writes; namespace reconciler stats ${JSON.stringify(env.server.namespaceReconciler()?.stats)}; heap ${(process.memoryUsage().heapUsed / 2 ** 20).toFixed(0)} MiB; rss ${(mem0 / 2 ** 20).toFixed(0)} → ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`,
  );
} finally {
  await env.stop();
}
