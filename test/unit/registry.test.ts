/** One source of truth: the registry drives routes, webhook manifests and the report. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { PolicyRegistry } from '../../src/admission/registry.js';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { builtinPolicies } from '../../src/policies/index.js';
import { parseManifests } from '../../src/cluster/manifests.js';
import { shippedWebhookYaml } from '../../scripts/gen-manifests.js';

describe('policy registry', () => {
  it('has unique paths and rule ids prefixed by their policy', () => {
    assert.doesNotThrow(() => new PolicyRegistry(builtinPolicies()));
  });

  it('manifests/webhooks.yaml is what the registry generates (run npm run gen:manifests)', () => {
    assert.equal(readFileSync(join(PACKAGE_ROOT, 'manifests', 'webhooks.yaml'), 'utf8'), shippedWebhookYaml());
  });

  it('every webhook entry is safe: selector excludes system namespaces, timeouts short, no side effects', () => {
    const docs = parseManifests(readFileSync(join(PACKAGE_ROOT, 'manifests', 'webhooks.yaml'), 'utf8'), 'webhooks.yaml');
    const entries: Array<Record<string, unknown>> = docs.flatMap((d) => (d.webhooks as Array<Record<string, unknown>>).map((w) => ({ ...w, kind: d.kind })));
    assert.equal(entries.length, builtinPolicies().length);
    for (const e of entries) {
      assert.equal(e.sideEffects, 'None');
      assert.equal(e.timeoutSeconds, 5);
      assert.equal(e.matchPolicy, 'Equivalent');
      assert.ok(e.failurePolicy === 'Fail' || e.failurePolicy === 'Ignore');
      const sel = JSON.stringify(e.namespaceSelector);
      for (const ns of ['kube-system', 'kube-public', 'kube-node-lease', 'harbormaster-system']) assert.ok(sel.includes(ns));
      if (e.kind === 'MutatingWebhookConfiguration') assert.equal(e.reinvocationPolicy, 'IfNeeded');
    }
    const text = readFileSync(join(PACKAGE_ROOT, 'manifests', 'webhooks.yaml'), 'utf8');
    assert.equal((text.match(/# Fail-(open|closed)/g) ?? []).length, entries.length, 'each failurePolicy is justified in a comment');
  });
});
