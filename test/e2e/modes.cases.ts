/**
 * Issue 15: rule modes and exemptions through the real API server, switched
 * by hot-reloading the policy file as an operator rolling a rule out would.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { E2E } from './env.js';
import { waitFor } from './env.js';

const RULE = 'loadbalancer.known-keys';
const NS = 'md-team';

/** A Service whose annotation typo the rule refuses when enforced. */
const service = (name: string) =>
  `apiVersion: v1\nkind: Service\nmetadata:\n  name: ${name}\n  annotations:\n    lb.harbormaster.io/algoritm: round-robin\nspec:\n  type: LoadBalancer\n  selector: { app: web }\n  ports: [{ port: 443, protocol: TCP }]\n`;

async function findings(e: E2E, mode: string): Promise<number> {
  const m = await e.env.server.metrics.findings.get();
  return m.values.filter((v) => v.labels.rule === RULE && v.labels.mode === mode).reduce((n, v) => n + v.value, 0);
}

async function reloads(e: E2E): Promise<number> {
  const m = await e.env.server.metrics.configReloads.get();
  return m.values.filter((v) => v.labels.result === 'success').reduce((n, v) => n + v.value, 0);
}

/**
 * Writes the policy with `block` in place of the empty modes/exemptions and
 * waits until the server runs it: a successful reload after the write, then
 * `loadedWhen`. The reload count comes first because a probe alone can pass
 * on the policy before (an `off` rule allows what an exemption allows).
 */
async function withPolicy(e: E2E, original: string, replace: Record<string, string>, loadedWhen: () => Promise<boolean>): Promise<void> {
  let text = original;
  for (const [from, to] of Object.entries(replace)) {
    assert.ok(text.includes(from), `policy file has ${from}`);
    text = text.replace(from, to);
  }
  const before = await reloads(e);
  writeFileSync(e.policyFile, text);
  await waitFor('the server reloads the edited policy', async () => (await reloads(e)) > before || undefined, 10_000);
  await waitFor('the server runs the edited policy', async () => (await loadedWhen()) || undefined, 10_000);
}

export function modeCases(get: () => E2E): void {
  describe('rule modes and exemptions (hot reload, through kubectl)', () => {
    it('enforce → warn → audit → off, then exemptions by name that expire', async () => {
      const e = get();
      await e.namespace(NS);
      const original = readFileSync(e.policyFile, 'utf8');
      const apply = (name: string) => e.k(['apply', '-n', NS, '--dry-run=server', '-f', '-'], { input: service(name), as: 'tenant' });
      try {
        const enforced = await apply('lb');
        assert.notEqual(enforced.code, 0);
        assert.match(enforced.stderr, /\[loadbalancer\.known-keys\] .*did you mean `algorithm`/);

        const warnBefore = await findings(e, 'warn');
        await withPolicy(e, original, { 'modes: {}': `modes:\n  ${RULE}: warn` }, async () => (await apply('lb')).code === 0);
        const warned = await apply('lb');
        assert.equal(warned.code, 0, warned.stderr);
        assert.match(warned.stderr, /Warning: \[loadbalancer\.known-keys\] .*"lb\.harbormaster\.io\/algoritm"\] is not a known key; did you mean/);
        assert.ok((await findings(e, 'warn')) > warnBefore, 'warn findings are counted');

        const auditBefore = await findings(e, 'audit');
        await withPolicy(e, original, { 'modes: {}': `modes:\n  loadbalancer.*: audit` }, async () => !/Warning/.test((await apply('lb')).stderr));
        const audited = await apply('lb');
        assert.equal(audited.code, 0, audited.stderr);
        assert.doesNotMatch(audited.stderr, /Warning/);
        assert.ok((await findings(e, 'audit')) > auditBefore, 'audit findings are counted');

        await withPolicy(e, original, { 'modes: {}': `modes:\n  ${RULE}: off` }, async () => {
          const before = await findings(e, 'audit');
          await apply('lb');
          return (await findings(e, 'audit')) === before;
        });
        const counts = async () => Promise.all(['enforce', 'warn', 'audit'].map((m) => findings(e, m)));
        const offBefore = await counts();
        const off = await apply('lb');
        assert.equal(off.code, 0, off.stderr);
        assert.doesNotMatch(off.stderr, /Warning/);
        assert.deepEqual(await counts(), offBefore, 'off: nothing denied, warned or counted');

        // Exemption by object name: the exempt Service passes, another one in the same namespace does not.
        await withPolicy(
          e,
          original,
          {
            'exemptions: []': `exemptions:\n  - rule: ${RULE}\n    namespaces: [${NS}]\n    names: [legacy]\n    reason: "renamed in the next release"\n    expires: "2999-12-31"`,
          },
          async () => (await apply('legacy')).code === 0,
        );
        assert.equal((await apply('legacy')).code, 0);
        assert.notEqual((await apply('lb')).code, 0, 'the exemption names one object only');

        // The same exemption, expired: it no longer applies, and the metric says so.
        await withPolicy(
          e,
          original,
          {
            'exemptions: []': `exemptions:\n  - rule: ${RULE}\n    namespaces: [${NS}]\n    names: [legacy]\n    reason: "renamed in the last release"\n    expires: "2020-01-31"`,
          },
          async () => (await apply('legacy')).code !== 0,
        );
        const expired = await e.env.server.metrics.exemptionsExpired.get();
        assert.equal(expired.values[0]?.value, 1);
      } finally {
        await withPolicy(e, original, {}, async () => (await apply('legacy')).code !== 0 && (await apply('lb')).code !== 0);
      }
    });
  });
}
