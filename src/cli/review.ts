/** `harbormaster review`: SPEC 6. Exit 0 all allowed, 1 any denied, 2 usage or input error. */
import { PolicyRegistry } from '../admission/registry.js';
import type { KubeObject, Operation } from '../kube/types.js';
import { ManifestError, readManifestFile } from '../cluster/manifests.js';
import { storeFromDir } from '../cluster/static.js';
import { formatProblems, loadConfigFile } from '../config/load.js';
import { DEFAULT_POLICY_FILE } from '../paths.js';
import { builtinPolicies, builtinRuleIds } from '../policies/index.js';
import { reviewObject, type ReviewResult } from '../review/review.js';

export interface ReviewCliOptions {
  file: string[];
  operation: string;
  namespace: string;
  state?: string;
  config?: string;
  output: string;
  /** Review as this user / these groups, like kubectl --as / --as-group. */
  as?: string;
  asGroup?: string[];
}

export interface CliIO {
  out: (text: string) => void;
  err: (text: string) => void;
}

export function formatText(results: readonly ReviewResult[]): string {
  const lines: string[] = [];
  for (const r of results) {
    const id = r.namespace ? `${r.namespace}/${r.name}` : r.name;
    lines.push(`${r.kind} ${id}: ${r.allowed ? 'allowed' : 'DENIED'}`);
    for (const d of r.denials) lines.push(`  denied  [${d.rule}] ${d.message}`);
    for (const w of r.warnings) lines.push(`  warning ${w}`);
    for (const f of r.findings) lines.push(`  ${f.mode} [${f.rule}] ${f.message}`);
    for (const p of r.patch) {
      const value = p.value === undefined ? '' : ` ${JSON.stringify(p.value)}`;
      lines.push(`  patch   ${p.op} ${p.path}${value}  (${p.rule})`);
    }
  }
  return lines.join('\n') + '\n';
}

export function runReview(options: ReviewCliOptions, io: CliIO): number {
  if (options.file.length === 0) {
    io.err('review: give at least one -f FILE (- for stdin)\n');
    return 2;
  }
  const operation = options.operation.toUpperCase();
  if (!['CREATE', 'UPDATE', 'DELETE'].includes(operation)) {
    io.err(`review: --operation must be CREATE, UPDATE or DELETE\n`);
    return 2;
  }
  if (!['text', 'json'].includes(options.output)) {
    io.err(`review: --output must be text or json\n`);
    return 2;
  }
  const loaded = loadConfigFile(options.config ?? DEFAULT_POLICY_FILE, { ruleIds: builtinRuleIds() });
  if (!loaded.ok) {
    io.err(`review: invalid policy file:\n${formatProblems(loaded.problems)}\n`);
    return 2;
  }
  let objects: KubeObject[];
  let cluster;
  try {
    objects = options.file.flatMap((f) => readManifestFile(f));
    cluster = storeFromDir(options.state);
  } catch (err) {
    const msg = err instanceof ManifestError ? err.message : `cannot read input: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`;
    io.err(`review: ${msg}\n`);
    return 2;
  }
  const bad = objects.find((o) => typeof o.kind !== 'string' || typeof o.apiVersion !== 'string');
  if (bad) {
    io.err('review: every object needs apiVersion and kind\n');
    return 2;
  }
  const registry = new PolicyRegistry(builtinPolicies());
  const results = objects.map((o) =>
    reviewObject(o, {
      registry,
      cluster,
      config: loaded.config,
      operation: operation as Operation,
      namespace: options.namespace,
      ...(options.as !== undefined ? { username: options.as } : {}),
      ...(options.asGroup ? { groups: options.asGroup } : {}),
    }),
  );
  if (options.output === 'json') {
    const doc = {
      results: results.map((r) => ({
        kind: r.kind,
        namespace: r.namespace,
        name: r.name,
        allowed: r.allowed,
        denials: r.denials.map((d) => ({ rule: d.rule, message: d.message })),
        warnings: r.warnings,
        ...(r.findings.length > 0 ? { findings: r.findings } : {}),
        patch: r.patch.map((p) => ({ op: p.op, path: p.path, ...(p.value !== undefined ? { value: p.value } : {}), rule: p.rule })),
      })),
    };
    io.out(JSON.stringify(doc, null, 2) + '\n');
  } else {
    io.out(formatText(results));
  }
  return results.every((r) => r.allowed) ? 0 : 1;
}
