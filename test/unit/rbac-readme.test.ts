/**
 * Every permission manifests/rbac.yaml grants has a line in the README
 * (Security, RBAC permissions) saying what uses it, and the README claims
 * none the roles do not grant. A permission is (role, apiGroup, resource,
 * verb, resourceName); rules and rows are expanded into them.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { list, readme, tableRows } from '../support/readme-tables.js';

interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}
interface RoleDoc {
  kind: string;
  metadata: { name: string; namespace?: string };
  rules?: Rule[];
}

const key = (role: string, group: string, resource: string, verb: string, name: string): string => [role, group, resource, verb, name].join(' | ');

function expand(role: string, groups: string[], resources: string[], verbs: string[], names: string[]): string[] {
  const out: string[] = [];
  for (const g of groups) for (const r of resources) for (const v of verbs) for (const n of names.length ? names : ['']) out.push(key(role, g, r, v, n));
  return out;
}

/** The permissions of the Roles and ClusterRoles in a manifest text. */
function granted(text: string): Set<string> {
  const out = new Set<string>();
  for (const doc of parseAllDocuments(text).map((d) => d.toJS() as RoleDoc)) {
    if (doc.kind !== 'ClusterRole' && doc.kind !== 'Role') continue;
    const role = doc.kind === 'Role' ? `Role ${doc.metadata.namespace ?? ''}` : 'ClusterRole';
    for (const rule of doc.rules ?? []) {
      const groups = rule.apiGroups.map((g) => (g === '' ? 'core' : g));
      for (const p of expand(role, groups, rule.resources, rule.verbs, rule.resourceNames ?? [])) out.add(p);
    }
  }
  return out;
}

/** The permissions the README's rows describe; a row without a use is not a description. */
function described(text: string): { permissions: Set<string>; unexplained: string[] } {
  const permissions = new Set<string>();
  const unexplained: string[] = [];
  for (const row of tableRows(text, 'Security', 'RBAC permissions')) {
    const [role = '', groups = '', resources = '', verbs = '', names = '', why = ''] = row;
    const ps = expand(role, list(groups), list(resources), list(verbs), list(names));
    if (why.length < 10) unexplained.push(...ps);
    for (const p of ps) permissions.add(p);
  }
  return { permissions, unexplained };
}

function compare(rbacText: string, readmeText: string): { undocumented: string[]; notGranted: string[]; unexplained: string[] } {
  const have = granted(rbacText);
  const { permissions, unexplained } = described(readmeText);
  return {
    undocumented: [...have].filter((p) => !permissions.has(p)).sort(),
    notGranted: [...permissions].filter((p) => !have.has(p)).sort(),
    unexplained,
  };
}

describe('README: RBAC permissions', () => {
  const rbac = readFileSync(join(PACKAGE_ROOT, 'manifests', 'rbac.yaml'), 'utf8');

  it('lists every permission of manifests/rbac.yaml with what uses it, and no other', () => {
    const n = granted(rbac).size;
    assert.ok(n > 50, `expanded ${n} permissions`);
    assert.deepEqual(compare(rbac, readme()), { undocumented: [], notGranted: [], unexplained: [] });
  });

  it('notices a new permission without a line, a line for one not granted, and a line without a use', () => {
    const widened = rbac.replace(
      '  - apiGroups: [coordination.k8s.io]\n    resources: [leases]\n    verbs: [get, create, update]\n',
      '  - apiGroups: [coordination.k8s.io]\n    resources: [leases]\n    verbs: [get, create, update, delete]\n',
    );
    assert.notEqual(widened, rbac, 'the Role rule for leases is where the test expects it');
    const text = readme().replace(
      /(\| Role harbormaster-system \| coordination\.k8s\.io \| leases \| get, create, update \| \|) [^|]+\|/,
      '$1 |\n| ClusterRole | core | pods | get | | reading Pods |',
    );
    const { undocumented, notGranted, unexplained } = compare(widened, text);
    assert.deepEqual(undocumented, ['Role harbormaster-system | coordination.k8s.io | leases | delete | ']);
    assert.deepEqual(notGranted, ['ClusterRole | core | pods | get | ']);
    assert.deepEqual(
      unexplained,
      ['get', 'create', 'update'].map((v) => `Role harbormaster-system | coordination.k8s.io | leases | ${v} | `),
    );
  });
});
