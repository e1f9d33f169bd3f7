/**
 * The one list of policies. It drives HTTP routing, the generated webhook
 * configurations, `harbormaster review` and the security report, so none of
 * them can disagree about which rules exist (test/unit/registry.test.ts checks
 * the shipped manifests against it).
 */
import type { Policy } from '../policy/types.js';

export class PolicyRegistry {
  readonly #byPath = new Map<string, Policy>();
  readonly policies: readonly Policy[];

  constructor(policies: readonly Policy[]) {
    this.policies = policies;
    const ruleIds = new Set<string>();
    for (const p of policies) {
      const path = `/${p.type}/${p.name}`;
      if (this.#byPath.has(path)) throw new Error(`two policies serve ${path}`);
      this.#byPath.set(path, p);
      for (const r of p.rules) {
        if (!r.id.startsWith(`${p.name}.`)) throw new Error(`rule ${r.id} must start with ${p.name}.`);
        // A validating and a mutating policy of the same name may share a rule id only once each.
        const key = `${p.type}:${r.id}`;
        if (ruleIds.has(key)) throw new Error(`duplicate rule id ${r.id}`);
        ruleIds.add(key);
      }
    }
  }

  get(type: string, name: string): Policy | undefined {
    return this.#byPath.get(`/${type}/${name}`);
  }

  /** Mutating policies first, then validating ones: the API server's order. */
  ordered(): Policy[] {
    return [...this.policies.filter((p) => p.type === 'mutate'), ...this.policies.filter((p) => p.type === 'validate')];
  }
}
