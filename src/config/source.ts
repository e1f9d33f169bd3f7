/**
 * The policy in force, with hot reload. The file is polled (a ConfigMap
 * volume updates by swapping a symlink, which inotify-based watchers miss);
 * a new version replaces the current one only when it validates, otherwise
 * the last good policy stays and the problems are reported.
 */
import { statSync, unwatchFile, watchFile, type Stats } from 'node:fs';
import { loadConfigFile, type ConfigProblem, type ParseOptions } from './load.js';
import type { PolicyConfig } from './types.js';

export type ReloadOutcome = { result: 'success'; config: PolicyConfig } | { result: 'error'; problems: ConfigProblem[] };

export interface ConfigSourceOptions {
  path: string;
  initial: PolicyConfig;
  intervalMs?: number;
  /** Passed to every reload (the rule ids modes and exemptions may name). */
  parse?: ParseOptions;
  onReload?: (outcome: ReloadOutcome) => void;
}

export class ConfigSource {
  #current: PolicyConfig;
  readonly #path: string;
  readonly #intervalMs: number;
  readonly #parse: ParseOptions;
  readonly #onReload: (outcome: ReloadOutcome) => void;
  #listener: ((curr: Stats, prev: Stats) => void) | undefined;

  constructor(options: ConfigSourceOptions) {
    this.#current = options.initial;
    this.#path = options.path;
    this.#intervalMs = options.intervalMs ?? 1000;
    this.#parse = options.parse ?? {};
    this.#onReload = options.onReload ?? (() => undefined);
  }

  get current(): PolicyConfig {
    return this.#current;
  }

  /** Re-reads the file now; returns what happened. */
  reload(): ReloadOutcome {
    const r = loadConfigFile(this.#path, this.#parse);
    const outcome: ReloadOutcome = r.ok ? { result: 'success', config: r.config } : { result: 'error', problems: r.problems };
    if (r.ok) this.#current = r.config;
    this.#onReload(outcome);
    return outcome;
  }

  start(): void {
    if (this.#listener) return;
    this.#listener = (curr, prev) => {
      if (curr.mtimeMs !== prev.mtimeMs || curr.ino !== prev.ino || curr.size !== prev.size) this.reload();
    };
    watchFile(this.#path, { interval: this.#intervalMs, persistent: false }, this.#listener);
  }

  stop(): void {
    if (this.#listener) unwatchFile(this.#path, this.#listener);
    this.#listener = undefined;
  }
}

/** True when `path` exists and is a file. */
export function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
