/**
 * Harbormaster's own RBAC (manifests/rbac.yaml) in plain words: one sentence
 * per rule, with the comment written above it in the manifest as the reason.
 */
import { isMap, isSeq, parseAllDocuments } from 'yaml';

export interface RbacStatement {
  /** e.g. "list and watch Namespaces, ServiceAccounts, Services". */
  text: string;
  where: string;
  why: string;
  verbs: string[];
  resources: string[];
  apiGroups: string[];
  resourceNames?: string[];
}

export interface RbacRole {
  kind: string;
  name: string;
  namespace?: string;
  /** Who holds it, from the bindings in the same file. */
  boundTo: string[];
  statements: RbacStatement[];
}

const VERB_WORDS: Record<string, string> = {
  get: 'read by name',
  list: 'list',
  watch: 'watch',
  create: 'create',
  update: 'replace',
  patch: 'patch',
  delete: 'delete',
  deletecollection: 'delete in bulk',
  escalate: 'grant permissions it does not hold itself (escalate)',
  bind: 'bind roles it does not hold (bind)',
  impersonate: 'impersonate',
  '*': 'do anything with',
};

function joinWords(words: readonly string[]): string {
  if (words.length <= 1) return words.join('');
  return `${words.slice(0, -1).join(', ')} and ${words[words.length - 1]}`;
}

function resourceWords(resources: readonly string[], groups: readonly string[]): string {
  const g = groups.map((x) => (x === '' ? 'core' : x)).join(', ');
  return `${resources.join(', ')} (${g})`;
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

function cleanComment(c: string | undefined | null): string {
  return (c ?? '')
    .split('\n')
    .map((l) => l.trim())
    .join(' ')
    .trim();
}

interface Binding {
  roleKind: string;
  role: string;
  namespace?: string;
  subjects: string[];
}

interface RawObject {
  kind?: string;
  metadata?: { name?: string; namespace?: string };
  roleRef?: { kind?: string; name?: string };
  subjects?: unknown[];
}

function bindingOf(obj: RawObject): Binding {
  return {
    roleKind: obj.roleRef?.kind ?? '',
    role: obj.roleRef?.name ?? '',
    ...(obj.metadata?.namespace ? { namespace: obj.metadata.namespace } : {}),
    subjects: (obj.subjects ?? []).map((s) => {
      const x = s as { kind?: string; name?: string; namespace?: string };
      return `${x.kind ?? ''} ${x.namespace ? `${x.namespace}/` : ''}${x.name ?? ''}`;
    }),
  };
}

function statementOf(rule: Record<string, unknown>, where: string, why: string): RbacStatement {
  const verbs = strings(rule.verbs);
  const resources = strings(rule.resources);
  const apiGroups = strings(rule.apiGroups);
  const resourceNames = strings(rule.resourceNames);
  const named = resourceNames.length > 0 ? `, only those named ${resourceNames.join(', ')}` : '';
  return {
    text: `${joinWords(verbs.map((v) => VERB_WORDS[v] ?? v))} ${resourceWords(resources, apiGroups)}${named}`,
    where,
    why,
    verbs,
    resources,
    apiGroups,
    ...(resourceNames.length > 0 ? { resourceNames } : {}),
  };
}

function roleOf(doc: ReturnType<typeof parseAllDocuments>[number] & { contents: unknown }, obj: RawObject): RbacRole {
  const name = obj.metadata?.name ?? '';
  const namespace = obj.metadata?.namespace;
  const where = obj.kind === 'ClusterRole' ? 'in every namespace' : `in namespace ${namespace ?? '?'} only`;
  const contents = isMap(doc.contents) ? doc.contents : undefined;
  const rulesNode = contents?.get('rules', true);
  const items = isSeq(rulesNode) ? rulesNode.items : [];
  // A comment covers the rules after it, up to the next comment; one above `rules:` covers the first ones.
  const keyPair = contents?.items.find((p) => (p.key as { value?: unknown } | null)?.value === 'rules');
  let why = cleanComment((keyPair?.key as { commentBefore?: string } | undefined)?.commentBefore);
  const statements = items.map((item) => {
    why = cleanComment((item as { commentBefore?: string }).commentBefore) || why;
    return statementOf((item as { toJSON(): Record<string, unknown> }).toJSON(), where, why);
  });
  return { kind: String(obj.kind), name, ...(namespace ? { namespace } : {}), boundTo: [], statements };
}

export function describeRbac(yamlText: string): RbacRole[] {
  const roles: RbacRole[] = [];
  const bindings: Binding[] = [];
  for (const doc of parseAllDocuments(yamlText)) {
    const obj = doc.toJSON() as RawObject | null;
    if (obj?.kind === 'ClusterRoleBinding' || obj?.kind === 'RoleBinding') bindings.push(bindingOf(obj));
    else if (obj?.kind === 'ClusterRole' || obj?.kind === 'Role') roles.push(roleOf(doc, obj));
  }
  for (const b of bindings) {
    const role = roles.find((r) => r.kind === b.roleKind && r.name === b.role && (r.kind === 'ClusterRole' || r.namespace === b.namespace));
    role?.boundTo.push(...b.subjects);
  }
  return roles;
}
