import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { loadConfigFile, parseConfig } from '../../src/config/load.js';
import { DEFAULT_POLICY_FILE } from '../../src/paths.js';

describe('policy config', () => {
  it('accepts the shipped manifests/policy.yaml with profiles default, small, large', () => {
    const r = loadConfigFile(DEFAULT_POLICY_FILE);
    assert.ok(r.ok, r.ok ? '' : JSON.stringify(r.problems));
    assert.deepEqual(Object.keys(r.config.resourceDefaults.profiles).sort(), ['default', 'large', 'small']);
    assert.ok(r.config.loadBalancer.vipPools.length > 0);
    assert.ok(r.config.ingress.classes.some((c) => c.default));
  });

  it('reports every error by path, not just the first', () => {
    const text = `
resourceDefaults:
  profiles:
    default:
      quota: { hard: { cpu: "lots" } }
      limits:
        container: { max: { memory: 1Gb } }
        extra: 1
loadBalancer:
  vipPools:
    - { name: Bad_Name, cidrs: ["10.0.0.0/33"] }
ingress:
  classes: [{ name: a, default: true }, { name: b, default: "yes" }]
unknownTop: true
`;
    const r = parseConfig(text);
    assert.equal(r.ok, false);
    const paths = r.ok ? [] : r.problems.map((p) => p.path);
    for (const expected of [
      '/resourceDefaults/profiles/default/quota/hard/cpu',
      '/resourceDefaults/profiles/default/limits/container/max/memory',
      '/resourceDefaults/profiles/default/limits/extra',
      '/loadBalancer/vipPools/0/name',
      '/ingress/classes/1/default',
      '/unknownTop',
    ]) {
      assert.ok(paths.includes(expected), `${expected} in ${JSON.stringify(paths)}`);
    }
  });

  it('checks what the schema cannot: CIDRs and a single default class', () => {
    const base = readFileSync(DEFAULT_POLICY_FILE, 'utf8');
    const r = parseConfig(base.replace('198.51.100.0/25', '198.51.100.0/99').replace('- name: nginx-internal', '- name: nginx-internal\n      default: true'));
    assert.equal(r.ok, false);
    const problems = r.ok ? [] : r.problems;
    assert.ok(problems.some((p) => p.path === '/loadBalancer/vipPools/1/cidrs/0'));
    assert.ok(problems.some((p) => p.path === '/ingress/classes'));
  });

  it('requires a default profile', () => {
    const r = parseConfig('resourceDefaults:\n  profiles:\n    small: { quota: { hard: {} }, limits: { container: {} } }\n');
    assert.equal(r.ok, false);
    assert.ok(!r.ok && r.problems.some((p) => p.path === '/resourceDefaults/profiles/default'));
  });

  it('refuses YAML errors and unreadable files with a reason', () => {
    assert.equal(parseConfig('a: [').ok, false);
    const r = loadConfigFile('/nonexistent/policy.yaml');
    assert.ok(!r.ok && /cannot read/.test(r.problems[0]?.message ?? ''));
  });
});
