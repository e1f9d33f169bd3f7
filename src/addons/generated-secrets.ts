/**
 * Secrets a bundle needs filled with random values (the cluster agent's auth
 * token, Elasticsearch's passwords), declared in addon.yaml
 * `generatedSecrets`. The manager creates each once and never reads, rewrites
 * or deletes it: it holds only `create` on Secrets, so it cannot prove that
 * an existing Secret of that name is its own. An existing Secret (ours from
 * before, or one the operator made to choose the values) is used as it is.
 * Kept on disable and purge, so data written with these credentials stays
 * readable after a re-enable; values are never logged.
 */
import { randomBytes } from 'node:crypto';
import type { KubeConfig } from '@kubernetes/client-node';
import { ApiError, rawRequest } from '../cluster/raw.js';
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE } from '../kube/names.js';
import { ADDON_LABEL } from '../catalog/annotations.js';
import type { Addon } from '../catalog/catalog.js';

/** 32 characters from [A-Za-z0-9]: 190 bits, and safe in any config file, URL or header without quoting. */
export function randomValue(length = 32): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  let out = '';
  while (out.length < length) {
    for (const b of randomBytes(length * 2)) {
      // 248 = 4 × 62: bytes above it are dropped so every character is equally likely.
      if (b < 248 && out.length < length) out += alphabet[b % 62];
    }
  }
  return out;
}

export class GeneratedSecrets {
  /** namespace/name known to exist: nothing to send again until the manager restarts. */
  readonly #known = new Set<string>();

  constructor(private readonly kubeconfig: KubeConfig) {}

  /** Creates the bundle's generated Secrets that are missing; false while its namespace does not exist yet. */
  async ensure(bundle: Addon, onCreated: () => void): Promise<boolean> {
    for (const s of bundle.generatedSecrets) {
      const id = `${bundle.namespace}/${s.name}`;
      if (this.#known.has(id)) continue;
      const body = {
        apiVersion: 'v1',
        kind: 'Secret',
        type: 'Opaque',
        metadata: { name: s.name, namespace: bundle.namespace, labels: { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE, [ADDON_LABEL]: bundle.name } },
        stringData: Object.fromEntries(s.keys.map((k) => [k, randomValue()])),
      };
      try {
        await rawRequest(this.kubeconfig, { method: 'POST', path: `/api/v1/namespaces/${encodeURIComponent(bundle.namespace)}/secrets`, body });
        onCreated();
      } catch (err) {
        if (err instanceof ApiError && err.code === 404) return false;
        if (!(err instanceof ApiError && err.code === 409)) throw err;
      }
      this.#known.add(id);
    }
    return true;
  }
}
