/**
 * Locates (building on first use) the pinned kube-apiserver, kube-controller-
 * manager, kube-scheduler, kubectl, etcd, helm, kwok and promtool. The build script caches them under
 * ~/.cache/harbormaster/<pin>/bin; its progress goes to our stderr.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../paths.js';

export interface Binaries {
  dir: string;
  etcd: string;
  kubeApiserver: string;
  kubeControllerManager: string;
  kubeScheduler: string;
  kubectl: string;
  helm: string;
  /** Simulated nodes: kwok makes Node and Pod status move as a kubelet would. */
  kwok: string;
  promtool: string;
}

export async function ensureBinaries(): Promise<Binaries> {
  const script = join(PACKAGE_ROOT, 'scripts', 'build-binaries.sh');
  const dir = await new Promise<string>((resolve, reject) => {
    const child = spawn('bash', [script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code === 0) resolve(out.trim().split('\n').pop() ?? '');
      else reject(new Error(`scripts/build-binaries.sh failed with exit code ${code}; see the messages above`));
    });
  });
  return {
    dir,
    etcd: join(dir, 'etcd'),
    kubeApiserver: join(dir, 'kube-apiserver'),
    kubeControllerManager: join(dir, 'kube-controller-manager'),
    kubeScheduler: join(dir, 'kube-scheduler'),
    kubectl: join(dir, 'kubectl'),
    helm: join(dir, 'helm'),
    kwok: join(dir, 'kwok'),
    promtool: join(dir, 'promtool'),
  };
}
