/** `harbormaster policies [--format md|html|json]`: SPEC 7. */
import { resolve } from 'node:path';
import { PolicyRegistry } from '../admission/registry.js';
import { readManifestFile } from '../cluster/manifests.js';
import { formatProblems, loadConfigFile } from '../config/load.js';
import { PACKAGE_ROOT } from '../paths.js';
import { builtinPolicies, builtinRuleIds } from '../policies/index.js';
import { buildReport, renderHtml, renderMarkdown } from '../report/report.js';
import type { CliIO } from './review.js';

export function runPolicies(options: { format: string; config: string }, io: CliIO): number {
  if (!['md', 'html', 'json'].includes(options.format)) {
    io.err('policies: --format must be md, html or json\n');
    return 2;
  }
  const loaded = loadConfigFile(options.config, { ruleIds: builtinRuleIds() });
  if (!loaded.ok) {
    io.err(`policies: invalid policy file:\n${formatProblems(loaded.problems)}\n`);
    return 2;
  }
  const rbac = readManifestFile(resolve(PACKAGE_ROOT, 'manifests', 'rbac.yaml'));
  const report = buildReport(new PolicyRegistry(builtinPolicies()), loaded.config, rbac);
  if (options.format === 'json') io.out(JSON.stringify(report, null, 2) + '\n');
  else if (options.format === 'html') io.out(renderHtml(report));
  else io.out(renderMarkdown(report));
  return 0;
}
