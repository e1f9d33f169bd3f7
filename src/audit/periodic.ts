/**
 * The leader's periodic audit (`serve --audit-interval`): the same audit as
 * `harbormaster audit --apply`, run once on gaining the lease and then every
 * interval after the previous run finished (runs never overlap). Reports are
 * written only where their content hash changed, so a quiet cluster costs
 * the lists and no write.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import type { PolicyConfig } from '../config/types.js';
import type { Logger } from '../observability/log.js';
import type { Policy } from '../policy/types.js';
import { applyReports, type ApplyOutcome } from './apply.js';
import { auditIdentityProblem } from './identity.js';
import { buildReports } from './policyreport.js';
import { allFindings, auditCluster } from './run.js';

export interface PeriodicAuditDeps {
  kubeconfig: KubeConfig;
  policies: readonly Policy[];
  config: () => PolicyConfig;
  intervalMs: number;
  logger: Logger;
  onWrite?: (verb: 'create' | 'update', kind: string) => void;
  onRun?: (outcome: ApplyOutcome & { findings: number; durationMs: number }) => void;
}

export class PeriodicAudit {
  readonly #d: PeriodicAuditDeps;
  #timer: NodeJS.Timeout | undefined;
  #stopped = true;

  constructor(deps: PeriodicAuditDeps) {
    this.#d = deps;
  }

  start(): void {
    this.#stopped = false;
    this.#schedule(0);
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #schedule(ms: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.runOnce().then(
        () => this.#schedule(this.#d.intervalMs),
        (err: unknown) => {
          this.#d.logger.warn({ err: (err as Error).message }, 'audit failed; retrying at the next interval');
          this.#schedule(this.#d.intervalMs);
        },
      );
    }, ms);
    this.#timer.unref();
  }

  /** One audit and the report writes it needs. */
  async runOnce(): Promise<ApplyOutcome & { findings: number; durationMs: number }> {
    const config = this.#d.config();
    const problem = auditIdentityProblem(config);
    if (problem) throw new Error(problem);
    const run = await auditCluster({ kubeconfig: this.#d.kubeconfig, policies: this.#d.policies, config });
    const now = Date.now();
    const outcome = await applyReports(this.#d.kubeconfig, buildReports(run.evaluations, now), {
      nowMs: now,
      ...(this.#d.onWrite ? { onWrite: this.#d.onWrite } : {}),
    });
    const result = { ...outcome, findings: allFindings(run.evaluations).length, durationMs: run.durationMs };
    this.#d.logger.info(result, 'audit done');
    this.#d.onRun?.(result);
    return result;
  }
}
