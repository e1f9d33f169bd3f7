/**
 * Rendering a bundle with the real `helm template`. helm is run without a
 * shell, values go in on stdin as JSON (already validated against the
 * bundle's schema), and the result is cached by chart digest + values hash,
 * so helm runs only when one of them changes.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import type { KubeObject } from '../kube/types.js';
import { parseManifests } from '../cluster/manifests.js';
import type { Addon } from '../catalog/catalog.js';

export interface RenderStats {
  hits: number;
  misses: number;
}

export class HelmRenderer {
  readonly #helm: string;
  readonly #cache = new Map<string, KubeObject[]>();
  readonly stats: RenderStats = { hits: 0, misses: 0 };

  constructor(options: { helm: string }) {
    this.#helm = options.helm;
  }

  static cacheKey(addon: Addon, values: unknown): string {
    return createHash('sha256').update(addon.digest).update('\0').update(addon.namespace).update('\0').update(JSON.stringify(values)).digest('hex');
  }

  async render(addon: Addon, values: Record<string, unknown>): Promise<KubeObject[]> {
    const key = HelmRenderer.cacheKey(addon, values);
    const cached = this.#cache.get(key);
    if (cached) {
      this.stats.hits++;
      return structuredClone(cached);
    }
    this.stats.misses++;
    const text = await this.#run(['template', addon.name, addon.chartDir, '--namespace', addon.namespace, '--values', '-'], JSON.stringify(values));
    const objects = parseManifests(text, `helm template ${addon.name}`);
    if (this.#cache.size > 64) this.#cache.delete(this.#cache.keys().next().value as string);
    this.#cache.set(key, objects);
    return structuredClone(objects);
  }

  #run(args: string[], input: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const child = spawn(this.#helm, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', HELM_CACHE_HOME: '/tmp/harbormaster-helm/cache', HELM_CONFIG_HOME: '/tmp/harbormaster-helm/config', HELM_DATA_HOME: '/tmp/harbormaster-helm/data' } });
      let out = '';
      let err = '';
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
      child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
      child.on('error', (e) => { clearTimeout(timer); reject(new Error(`cannot run helm (${this.#helm}): ${e.message}`)); });
      child.on('close', (code) => {
        clearTimeout(timer);
        if (code === 0) resolve(out);
        else reject(new Error(`helm template failed: ${err.trim().split('\n').slice(-3).join(' ')}`));
      });
      child.stdin.end(input);
    });
  }
}
