/**
 * The pure core of an audit: existing objects in, findings out, through the
 * same `evaluate()` the HTTPS server and `review` use. Only the validating
 * policies run: a stored object has been through the mutating ones already,
 * and what they would add again is not a finding about the object.
 */
import { evaluate } from '../admission/engine.js';
import { skipReason } from '../admission/match.js';
import type { PolicyConfig } from '../config/types.js';
import type { KubeObject } from '../kube/types.js';
import type { Decision } from '../policy/decision.js';
import type { Policy } from '../policy/types.js';
import type { ClusterView } from '../policy/view.js';
import { buildRequest } from '../review/review.js';
import { AUDIT_USER } from './identity.js';

export interface ObjectRef {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
  uid?: string;
}

/** How the rule's mode let the finding through: `enforce` would have denied it at admission. */
export type FindingMode = 'enforce' | 'warn' | 'audit';

export interface Finding {
  policy: string;
  rule: string;
  /** `fail`: the rule would deny it (in any mode); `warn`: an admission warning. */
  result: 'fail' | 'warn';
  mode: FindingMode;
  message: string;
  object: ObjectRef;
}

export interface Evaluation {
  policy: string;
  object: ObjectRef;
  findings: Finding[];
}

export function refOf(obj: KubeObject): ObjectRef {
  const m = obj.metadata ?? {};
  return {
    apiVersion: String(obj.apiVersion ?? 'v1'),
    kind: String(obj.kind ?? ''),
    ...(typeof m.namespace === 'string' && m.namespace !== '' ? { namespace: m.namespace } : {}),
    name: String(m.name ?? ''),
    ...(typeof m.uid === 'string' ? { uid: m.uid } : {}),
  };
}

function findingsOf(policy: Policy, decision: Decision, object: ObjectRef): Finding[] {
  const out: Finding[] = [];
  const base = { policy: policy.name, object };
  for (const d of decision.denials) out.push({ ...base, rule: d.rule, result: 'fail', mode: 'enforce', message: d.message });
  // Denials (and would-be writes) the rule's mode made non-blocking: still findings of an audit.
  const relaxed = decision.findings;
  const warnMode = new Set(relaxed.filter((f) => f.mode === 'warn').map((f) => `${f.rule}\n${f.message}`));
  for (const f of relaxed) out.push({ ...base, rule: f.rule, result: 'fail', mode: f.mode, message: f.message });
  for (const w of decision.warnings) {
    // A warn-mode denial is in `warnings` too; it is reported once, as the failure it is.
    if (!warnMode.has(`${w.rule}\n${w.message}`)) out.push({ ...base, rule: w.rule, result: 'warn', mode: 'enforce', message: w.message });
  }
  return out;
}

export interface EvaluateObjectsInput {
  policies: readonly Policy[];
  cluster: ClusterView;
  config: PolicyConfig;
  now?: number;
}

/** Every validating policy that would be called for a CREATE of `obj`, and what it finds. */
export function auditObject(obj: KubeObject, input: EvaluateObjectsInput): Evaluation[] {
  const object = refOf(obj);
  const request = buildRequest(obj, { operation: 'CREATE', namespace: object.namespace ?? '', username: AUDIT_USER.username, groups: [...AUDIT_USER.groups] });
  const out: Evaluation[] = [];
  for (const policy of input.policies) {
    if (policy.type !== 'validate') continue;
    if (skipReason({ policy, request, systemNamespaces: input.config.systemNamespaces }) !== undefined) continue;
    const decision = evaluate({ policy, request, cluster: input.cluster, config: input.config, ...(input.now !== undefined ? { now: input.now } : {}) });
    out.push({ policy: policy.name, object, findings: findingsOf(policy, decision, object) });
  }
  return out;
}
