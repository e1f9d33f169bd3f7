/**
 * Rule modes (enforce / warn / audit / off) and exemptions with names,
 * reasons and expiry (issue 15): the engine, review and the policy-file
 * schema agree, and the file's mistakes are named by path.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { evaluate } from '../../src/admission/engine.js';
import { PolicyRegistry } from '../../src/admission/registry.js';
import { storeFromObjects } from '../../src/cluster/static.js';
import { loadConfigFile, parseConfig } from '../../src/config/load.js';
import type { Exemption, PolicyConfig, RuleMode } from '../../src/config/types.js';
import type { KubeObject } from '../../src/kube/types.js';
import { DEFAULT_POLICY_FILE } from '../../src/paths.js';
import { exemptionState, ruleMode } from '../../src/policy/modes.js';
import { builtinPolicies, builtinRuleIds } from '../../src/policies/index.js';
import { resourceDefaultsMutate } from '../../src/policies/resource-defaults/mutate.js';
import { tenancyValidate } from '../../src/policies/tenancy/validate.js';
import { reviewObject } from '../../src/review/review.js';
import { admissionRequest, podObject } from '../support/review.js';
import { readFileSync } from 'node:fs';

const loaded = loadConfigFile(DEFAULT_POLICY_FILE);
if (!loaded.ok) throw new Error('shipped policy invalid');
const base: PolicyConfig = loaded.config;
const cluster = storeFromObjects([{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a', annotations: {} } }]);

const PROFILE = 'tenancy.platform-annotations';
/** A tenant setting a platform-only annotation on its Namespace: denied when enforced. */
const tenantNamespace: KubeObject = {
  apiVersion: 'v1',
  kind: 'Namespace',
  metadata: { name: 'team-a', annotations: { 'harbormaster.io/quota-profile': 'large' } },
};
const withModes = (modes: Record<string, RuleMode>, exemptions: Exemption[] = []): PolicyConfig => ({ ...base, modes, exemptions });
const tenancy = (config: PolicyConfig, now?: number, object = tenantNamespace) =>
  evaluate({ policy: tenancyValidate, request: admissionRequest(object, { operation: 'CREATE' }), cluster, config, ...(now !== undefined ? { now } : {}) });
const defaults = (config: PolicyConfig) =>
  evaluate({ policy: resourceDefaultsMutate, request: admissionRequest(podObject('p', [{ name: 'a', image: 'x' }])), cluster, config });

describe('rule modes', () => {
  it('enforce (the default) denies', () => {
    const d = tenancy(withModes({}));
    assert.equal(d.allowed, false);
    assert.deepEqual(
      d.denials.map((x) => x.rule),
      [PROFILE],
    );
    assert.deepEqual(d.findings, []);
  });

  it('warn admits, sends the denial as a warning and records a warn finding', () => {
    const d = tenancy(withModes({ [PROFILE]: 'warn' }));
    assert.equal(d.allowed, true);
    assert.deepEqual(d.denials, []);
    assert.equal(d.warnings.length, 1);
    assert.equal(d.warnings[0]?.rule, PROFILE);
    assert.match(d.warnings[0]?.message ?? '', /may be set only by the platform/);
    assert.deepEqual(
      d.findings.map((f) => [f.rule, f.mode]),
      [[PROFILE, 'warn']],
    );
  });

  it('audit admits silently and records an audit finding', () => {
    const d = tenancy(withModes({ [PROFILE]: 'audit' }));
    assert.equal(d.allowed, true);
    assert.deepEqual(d.warnings, []);
    assert.deepEqual(
      d.findings.map((f) => [f.rule, f.mode]),
      [[PROFILE, 'audit']],
    );
  });

  it('off drops the rule entirely', () => {
    const d = tenancy(withModes({ [PROFILE]: 'off' }));
    assert.equal(d.allowed, true);
    assert.deepEqual([d.denials, d.warnings, d.findings], [[], [], []]);
  });

  it('`<policy>.*` sets every rule of the policy; the rule’s own entry wins', () => {
    assert.equal(ruleMode(withModes({ 'tenancy.*': 'audit' }), PROFILE), 'audit');
    assert.equal(ruleMode(withModes({ 'tenancy.*': 'audit', [PROFILE]: 'enforce' }), PROFILE), 'enforce');
    assert.equal(ruleMode(withModes({ 'ingress.*': 'off' }), PROFILE), 'enforce');
    assert.equal(tenancy(withModes({ 'tenancy.*': 'warn' })).allowed, true);
  });

  it('a mutating rule in warn mode makes no write, and says what it would have set', () => {
    const enforced = defaults(withModes({}));
    assert.ok(enforced.patch.length > 0);
    const warned = defaults(withModes({ 'resource-defaults.container-defaults': 'warn' }));
    assert.deepEqual(warned.patch, []);
    assert.ok(warned.findings.some((f) => f.mode === 'warn' && /^would set \/spec\/containers\/0\/resources/.test(f.message)));
    assert.ok(warned.warnings.some((w) => /would set/.test(w.message)));
  });

  it('a mutating rule in audit mode makes no write and no warning (not even its own advice)', () => {
    const d = defaults(withModes({ 'resource-defaults.container-defaults': 'audit' }));
    assert.deepEqual(d.patch, []);
    assert.deepEqual(d.warnings, []);
    assert.ok(d.findings.length > 0 && d.findings.every((f) => f.mode === 'audit'));
  });

  it('findings keep the per-rule message cap (bounded work)', () => {
    const many: KubeObject = podObject(
      'p',
      Array.from({ length: 200 }, (_, i) => ({ name: `c${i}`, image: 'x' })),
    );
    const d = evaluate({
      policy: resourceDefaultsMutate,
      request: admissionRequest(many),
      cluster,
      config: withModes({ 'resource-defaults.container-defaults': 'audit' }),
    });
    assert.ok(d.findings.length <= 21, `${d.findings.length} findings`);
    assert.match(d.findings.at(-1)?.message ?? '', /^… and \d+ more$/);
  });

  it('review gives the same decision and findings as the engine', () => {
    const config = withModes({ [PROFILE]: 'warn' });
    const registry = new PolicyRegistry(builtinPolicies());
    const r = reviewObject(tenantNamespace, { registry, cluster, config, operation: 'CREATE', namespace: 'default', username: 'tenant' });
    assert.equal(r.allowed, true);
    assert.deepEqual(
      r.findings.map((f) => [f.rule, f.mode]),
      [[PROFILE, 'warn']],
    );
    assert.ok(r.warnings.some((w) => w.startsWith(`[${PROFILE}]`)));
  });
});

describe('exemptions', () => {
  const exemption = (e: Partial<Exemption>): Exemption => ({ rule: PROFILE, reason: 'migration', ...e });
  const at = Date.parse('2027-01-31T12:00:00Z');

  it('by namespace', () => {
    assert.equal(tenancy(withModes({}, [exemption({ namespaces: ['team-a'] })]), at).allowed, true);
    assert.equal(tenancy(withModes({}, [exemption({ namespaces: ['team-b'] })]), at).allowed, false);
  });

  it('by name, and by namespace and name together', () => {
    const other: KubeObject = { ...tenantNamespace, metadata: { ...tenantNamespace.metadata, name: 'team-z' } };
    const byName = withModes({}, [exemption({ names: ['team-a'] })]);
    assert.equal(tenancy(byName, at).allowed, true);
    assert.equal(tenancy(byName, at, other).allowed, false);
    const both = withModes({}, [exemption({ namespaces: ['team-a'], names: ['team-b'] })]);
    assert.equal(tenancy(both, at).allowed, false, 'namespace matches, name does not');
  });

  it('a bare date lasts through the end of that UTC day; a timestamp to that instant', () => {
    const day = exemption({ namespaces: ['team-a'], expires: '2027-01-31' });
    assert.equal(exemptionState(day, Date.parse('2027-01-31T23:59:59Z')), 'active');
    assert.equal(exemptionState(day, Date.parse('2027-02-01T00:00:00Z')), 'expired');
    const instant = exemption({ namespaces: ['team-a'], expires: '2027-01-31T12:00:00+01:00' });
    assert.equal(exemptionState(instant, Date.parse('2027-01-31T10:59:59Z')), 'active');
    assert.equal(exemptionState(instant, Date.parse('2027-01-31T11:00:00Z')), 'expired');
  });

  it('an expired exemption stops applying', () => {
    const config = withModes({}, [exemption({ namespaces: ['team-a'], expires: '2027-01-30' })]);
    assert.equal(tenancy(config, at).allowed, false);
    assert.equal(tenancy(config, Date.parse('2027-01-30T08:00:00Z')).allowed, true);
  });

  it('`<policy>.*` exempts every rule of the policy and no other', () => {
    assert.equal(tenancy(withModes({}, [exemption({ rule: 'tenancy.*', namespaces: ['team-a'] })]), at).allowed, true);
    assert.equal(tenancy(withModes({}, [exemption({ rule: 'ingress.*', namespaces: ['team-a'] })]), at).allowed, false);
  });
});

describe('the policy file: modes and exemptions', () => {
  const shipped = readFileSync(DEFAULT_POLICY_FILE, 'utf8');
  const ruleIds = builtinRuleIds();
  const parse = (extra: string) => parseConfig(`${shipped}\n${extra}`.replace(/^modes: \{\}\n/m, '').replace(/^exemptions: \[\]\n/m, ''), { ruleIds });
  const problems = (extra: string) => {
    const r = parse(extra);
    return r.ok ? [] : r.problems.map((p) => `${p.path}: ${p.message}`);
  };

  it('accepts modes and full exemptions', () => {
    const r = parse(
      [
        'modes:',
        '  ingress.host-unique: warn',
        '  tenancy.*: audit',
        'exemptions:',
        '  - rule: loadbalancer.*',
        '    namespaces: [edge]',
        '    names: [gateway]',
        '    reason: pool migration',
        '    expires: "2027-03-31"',
      ].join('\n'),
    );
    assert.ok(r.ok, JSON.stringify(!r.ok && r.problems));
    assert.deepEqual(r.config.modes, { 'ingress.host-unique': 'warn', 'tenancy.*': 'audit' });
    assert.equal(r.config.exemptions[0]?.expires, '2027-03-31');
  });

  it('names the path of each mistake', () => {
    assert.deepEqual(problems('modes:\n  ingress.host-unique: block'), ['/modes/ingress.host-unique: must be equal to one of the allowed values']);
    assert.deepEqual(problems('modes:\n  ingress.host-uniq: warn'), ['/modes/ingress.host-uniq: no rule or policy "ingress.host-uniq"']);
    assert.deepEqual(problems('modes:\n  nosuch.*: off'), ['/modes/nosuch.*: no rule or policy "nosuch.*"']);
    assert.deepEqual(problems('exemptions:\n  - rule: ingress.*\n    namespaces: [a]'), ['/exemptions/0/reason: required field is missing']);
    assert.deepEqual(problems('exemptions:\n  - rule: ingress.*\n    namespaces: [a]\n    reason: "  "'), ['/exemptions/0/reason: must match pattern "\\S"']);
    assert.match(problems('exemptions:\n  - rule: ingress.*\n    reason: why')[0] ?? '', /^\/exemptions\/0: name the namespaces, the object names or both/);
    assert.deepEqual(problems('exemptions:\n  - rule: ingress.*\n    names: [x]\n    reason: why\n    expires: "2027-02-30"'), [
      '/exemptions/0/expires: "2027-02-30" is not a real date or time',
    ]);
    assert.equal(problems('exemptions:\n  - rule: ingress.*\n    names: [x]\n    reason: why\n    expires: tomorrow').length, 1);
    assert.deepEqual(problems('exemptions:\n  - rule: ingress.nope\n    names: [x]\n    reason: why'), [
      '/exemptions/0/rule: no rule or policy "ingress.nope"',
    ]);
  });

  it('every rule id is checked only when the caller knows them (review without the registry still parses)', () => {
    const r = parseConfig(`${shipped.replace(/^modes: \{\}\n/m, '')}\nmodes:\n  ingress.host-uniq: warn\n`);
    assert.ok(r.ok);
  });
});
