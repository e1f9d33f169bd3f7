/**
 * Issue 15 part 5: review/server parity for every case. Every AdmissionReview
 * the server answered during the suite (recorded with the policy in force and
 * the cluster view it decided with, test/e2e/env.ts) is replayed through
 * `reviewObject` — the function `harbormaster review` runs — with the view
 * turned back into the manifests `--state` reads. Two replays:
 * - per call: the one webhook called, same request, must answer the same
 *   allowed, message, warnings and patch, byte for byte;
 * - per API request (all calls sharing the API server's request uid): review
 *   running every policy in the API server's order must reach the same
 *   decision, denial messages, warnings and combined patch.
 * Then `audit` over what the suite leaves behind must find what replaying
 * those objects through review (as the audit's tenant) finds.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fastJsonPatch, { type Operation } from 'fast-json-patch';
import { PolicyRegistry } from '../../src/admission/registry.js';
import { formatDenials, MAX_WARNINGS } from '../../src/admission/review.js';
import { snapshotManifests, snapshotView, type ViewSnapshot } from '../../src/audit/snapshot.js';
import { storeFromObjects } from '../../src/cluster/static.js';
import type { ClusterStore } from '../../src/cluster/store.js';
import type { AdmissionRecord } from '../../src/dev/environment.js';
import type { KubeObject } from '../../src/kube/types.js';
import type { Decision } from '../../src/policy/decision.js';
import type { Policy } from '../../src/policy/types.js';
import { builtinPolicies } from '../../src/policies/index.js';
import { reviewObject, type ReviewResult } from '../../src/review/review.js';
import { KubeConfig } from '@kubernetes/client-node';
import { formatWarning } from '../../src/admission/review.js';
import { AUDIT_USER } from '../../src/audit/identity.js';
import { auditCluster } from '../../src/audit/run.js';
import { listTargets } from '../../src/audit/targets.js';
import { isTrackedKind } from '../../src/cluster/store.js';
import { loadConfigFile } from '../../src/config/load.js';
import { builtinRuleIds } from '../../src/policies/index.js';
import type { E2E } from './env.js';

const policies = builtinPolicies();

/** One store per distinct snapshot: snapshots share their lists until the view changes. */
class Views {
  readonly #ids = new WeakMap<object, number>();
  #next = 0;
  readonly #stores = new Map<string, ClusterStore>();
  checked = 0;
  #id(o: object): number {
    let id = this.#ids.get(o);
    if (id === undefined) this.#ids.set(o, (id = this.#next++));
    return id;
  }
  key(v: ViewSnapshot): string {
    return Object.values(v)
      .map((list: object) => this.#id(list))
      .join(',');
  }
  store(v: ViewSnapshot): ClusterStore {
    const k = this.key(v);
    let s = this.#stores.get(k);
    if (!s) {
      s = storeFromObjects(snapshotManifests(v));
      // The manifests are a faithful copy: read back, they are the very view the server had.
      assert.deepEqual(snapshotView(s), v, 'the manifests rebuild the recorded view');
      this.checked++;
      this.#stores.set(k, s);
    }
    return s;
  }
}

function input(r: AdmissionRecord): KubeObject {
  const o = r.request.operation === 'DELETE' ? r.request.oldObject : r.request.object;
  return o ?? {};
}

function replay(r: AdmissionRecord, registryPolicies: readonly Policy[], views: Views): ReviewResult {
  const req = r.request;
  return reviewObject(input(r), {
    registry: new PolicyRegistry(registryPolicies),
    cluster: views.store(r.view),
    config: r.config,
    now: r.at,
    operation: req.operation,
    namespace: req.namespace ?? '',
    ...(typeof req.userInfo.username === 'string' ? { username: req.userInfo.username } : {}),
    ...(Array.isArray(req.userInfo.groups) ? { groups: req.userInfo.groups } : {}),
    ...(req.operation === 'UPDATE' && req.oldObject ? { oldObject: req.oldObject } : {}),
    ...(req.subResource ? { subResource: req.subResource } : {}),
  });
}

function serverPatch(r: AdmissionRecord): unknown[] {
  return r.response.patch ? (JSON.parse(Buffer.from(r.response.patch, 'base64').toString('utf8')) as unknown[]) : [];
}

const plainPatch = (res: ReviewResult): unknown[] => res.patch.map(({ rule: _rule, ...op }) => op);

/** What the server sends for these warnings (the same cap as toResponse). */
function cappedWarnings(w: readonly string[]): string[] {
  return w.length <= MAX_WARNINGS ? [...w] : [...w.slice(0, MAX_WARNINGS - 1), `… and ${w.length - MAX_WARNINGS + 1} more warnings`];
}

/** The `[rule] message` items of a denial message (split where the next item starts). */
function denialItems(message: string | undefined): string[] {
  return message ? message.split(/; (?=\[[a-z0-9-]+\.[a-z0-9-]+\] )/) : [];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** JSON with object keys sorted: the API server serialises in its own field order. */
function canonical(v: unknown): string {
  const sort = (x: unknown): unknown =>
    Array.isArray(x)
      ? x.map(sort)
      : x !== null && typeof x === 'object'
        ? Object.fromEntries(
            Object.entries(x)
              .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
              .map(([k, y]) => [k, sort(y)]),
          )
        : x;
  return JSON.stringify(sort(v));
}

interface Chain {
  key: string;
  calls: AdmissionRecord[];
  /** The object the next webhook of this request must see (canonical JSON). */
  expect: string;
  /** `expect` was computed by applying a patch: the API server may have defaulted fields on top. */
  patched: boolean;
  validating: boolean;
  closed: boolean;
}

function chainKey(r: AdmissionRecord): string {
  const q = r.request;
  const m = input(r).metadata ?? {};
  return [
    q.operation,
    q.kind.group,
    q.kind.kind,
    q.subResource ?? '',
    q.namespace ?? '',
    m.name ?? m.generateName ?? '',
    q.userInfo.username ?? '',
    String(q.dryRun === true),
  ].join('|');
}

/** A mutating webhook may be called again (reinvocation) only if a later one changed the object since its last call. */
function mayCall(chain: Chain, r: AdmissionRecord): boolean {
  if (r.webhook.startsWith('validate/')) return !chain.calls.some((c) => c.webhook === r.webhook);
  if (chain.validating) return false;
  const last = chain.calls.map((c) => c.webhook).lastIndexOf(r.webhook);
  return last < 0 || chain.calls.slice(last + 1).some((c) => c.webhook.startsWith('mutate/') && c.response.patch !== undefined);
}

/**
 * The API server gives every webhook call its own uid, so the calls of one
 * API request are found by continuity: same operation, kind, object name and
 * user, each call seeing the object the previous mutations produced, in the
 * API server's order (mutating webhooks, reinvoked ones, then validating).
 */
/** Where two JSON values differ (object paths), for the report of what the API server changed between webhooks. */
function changedPaths(a: unknown, b: unknown, at = ''): string[] {
  if (JSON.stringify(a) === JSON.stringify(b)) return [];
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return [at || '/'];
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].flatMap((k) => changedPaths((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${at}/${k}`));
}

/** Paths the API server changed between two webhooks of one request (seen while chaining). */
const reshaped: string[] = [];

function apiRequests(records: readonly AdmissionRecord[]): AdmissionRecord[][] {
  const open: Chain[] = [];
  const all: Chain[] = [];
  for (const r of records) {
    if (!UUID.test(r.request.uid)) continue; // posted straight to the server by a test: compared per call only
    const key = chainKey(r);
    const seen = canonical(input(r));
    const candidates = [...open].reverse().filter((c) => !c.closed && c.key === key && mayCall(c, r));
    // Exactly the object the chain left off with; else, after a patch or once the mutating phase is
    // over, the object the API server passes on may differ (its own defaulting and in-tree plugins
    // run again): then the latest request of that key still waiting for this webhook.
    const validating = r.webhook.startsWith('validate/');
    let chain =
      candidates.find((c) => c.expect === seen) ??
      candidates.find((c) => c.patched || (validating && !c.validating && c.calls.some((x) => x.webhook.startsWith('mutate/'))));
    if (chain && chain.expect !== seen) reshaped.push(changedPaths(JSON.parse(chain.expect), JSON.parse(seen)).slice(0, 4).join(' ') || '(key order)');
    if (!chain) {
      chain = { key, calls: [], expect: seen, patched: false, validating: false, closed: false };
      open.push(chain);
      all.push(chain);
    }
    chain.calls.push(r);
    if (r.webhook.startsWith('validate/')) chain.validating = true;
    else if (!r.response.allowed)
      chain.closed = true; // a mutating denial ends the request
    else if (r.response.patch) {
      const patched = fastJsonPatch.applyPatch(structuredClone(input(r)), serverPatch(r) as Operation[], false, false).newDocument;
      chain.expect = canonical(patched);
      chain.patched = true;
    } else {
      chain.expect = seen;
      chain.patched = false;
    }
    if (open.length > 200) open.splice(0, open.length - 200);
  }
  return all.map((c) => c.calls);
}

export function parityCases(get: () => E2E): void {
  describe('parity: every recorded admission replayed through review', () => {
    it('per call: the same webhook through review answers exactly as the server did', () => {
      const e = get();
      const views = new Views();
      const mismatches: string[] = [];
      for (const r of e.admissions) {
        const [type, name] = r.webhook.split('/');
        const policy = policies.find((p) => p.type === type && p.name === name);
        assert.ok(policy, r.webhook);
        const res = replay(r, [policy], views);
        const decision = { allowed: res.allowed, denials: res.denials, warnings: [], patch: [], findings: [] } satisfies Decision;
        const got = {
          allowed: res.allowed,
          message: res.allowed ? undefined : formatDenials(decision),
          warnings: cappedWarnings(res.warnings),
          patch: res.allowed ? plainPatch(res) : [],
        };
        const want = { allowed: r.response.allowed, message: r.response.status?.message, warnings: r.response.warnings ?? [], patch: serverPatch(r) };
        try {
          assert.deepEqual(got, want);
        } catch {
          mismatches.push(
            `${r.webhook} ${r.request.operation} ${r.request.kind.kind} ${r.request.namespace ?? ''}/${r.request.name ?? ''}: review ${JSON.stringify(got).slice(0, 400)} server ${JSON.stringify(want).slice(0, 400)}`,
          );
        }
      }
      process.stderr.write(
        `[parity] per call: ${e.admissions.length} answers compared, ${views.checked} distinct views rebuilt, ${mismatches.length} mismatches\n`,
      );
      assert.ok(e.admissions.length > 100, `the suite recorded ${e.admissions.length} answers`);
      assert.deepEqual(mismatches, []);
    });

    it('per API request: review over every policy reaches the decision, messages, warnings and patch the API server got', () => {
      const e = get();
      const views = new Views();
      const chains = apiRequests(e.admissions);
      const mismatches: string[] = [];
      let viewChanged = 0;
      let multi = 0;
      for (const calls of chains) {
        const first = calls[0] as AdmissionRecord;
        if (calls.length > 1) multi++;
        if (calls.some((c) => views.key(c.view) !== views.key(first.view))) viewChanged++;
        const res = replay(first, policies, views);
        const allowed = calls.every((c) => c.response.allowed);
        const want = {
          allowed,
          denials: calls.flatMap((c) => denialItems(c.response.status?.message)).sort(),
          warnings: [...new Set(calls.flatMap((c) => c.response.warnings ?? []))].sort(),
          patch: allowed ? calls.filter((c) => c.webhook.startsWith('mutate/')).flatMap(serverPatch) : [],
        };
        const got = {
          allowed: res.allowed,
          denials: res.denials.map((d) => `[${d.rule}] ${d.message}`).sort(),
          warnings: [...res.warnings].sort(),
          patch: res.allowed ? plainPatch(res) : [],
        };
        try {
          assert.deepEqual(got, want);
        } catch {
          const q = first.request;
          mismatches.push(
            `${q.operation} ${q.kind.kind} ${q.namespace ?? ''}/${q.name ?? ''} via ${calls.map((c) => c.webhook).join(',')}: review ${JSON.stringify(got).slice(0, 500)} server ${JSON.stringify(want).slice(0, 500)}`,
          );
        }
      }
      const shapes = [...new Set(reshaped)];
      process.stderr.write(
        `[parity] between webhooks of one request the API server changed the object ${reshaped.length} times; paths: ${shapes.slice(0, 8).join(' | ')}\n`,
      );
      process.stderr.write(
        `[parity] per API request: ${chains.length} requests compared (${multi} through more than one webhook, ${viewChanged} saw the view change between webhooks), ${mismatches.length} mismatches\n`,
      );
      for (const m of mismatches.slice(0, 20)) process.stderr.write(`[parity]   ${m}\n`);
      assert.deepEqual(mismatches, []);
    });

    it('audit of what the suite leaves behind finds what replaying those objects through review finds', async () => {
      const e = get();
      const loaded = loadConfigFile(e.policyFile, { ruleIds: builtinRuleIds() });
      assert.ok(loaded.ok);
      const config = loaded.config;
      const targets = listTargets(policies);
      // Listed independently of the audit: kubectl, every covered resource and every view feed.
      const listAll = async (): Promise<Array<KubeObject & { audited: boolean }>> => {
        const out: Array<KubeObject & { audited: boolean }> = [];
        for (const t of targets) {
          const resource = t.group ? `${t.resource}.${t.group}` : t.resource;
          for (const sel of t.fieldSelectors.length > 0 ? t.fieldSelectors : [undefined]) {
            const r = await e.k(['get', resource, '-A', '-o', 'json', ...(sel ? ['--field-selector', sel] : [])]);
            if (r.code !== 0) continue; // not served
            for (const item of (JSON.parse(r.stdout) as { items: KubeObject[] }).items) {
              if (item.metadata) delete item.metadata.managedFields;
              out.push({ ...item, audited: t.audited });
            }
          }
        }
        return out;
      };
      const id = (o: { kind?: string; metadata?: { namespace?: string; name?: string } }): string =>
        `${o.kind}/${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;
      const version = (o: KubeObject): string => `${id(o)}@${String(o.metadata?.resourceVersion)}`;
      const kc = new KubeConfig();
      kc.loadFromFile(e.env.controlPlane.kubeconfigs.admin);
      let before: Array<KubeObject & { audited: boolean }> = [];
      let after: typeof before = [];
      let run: Awaited<ReturnType<typeof auditCluster>> | undefined;
      // The view must not move while the audit lists (kwok and controllers keep writing Pods, not the view's kinds).
      for (let attempt = 0; attempt < 3; attempt++) {
        before = await listAll();
        run = await auditCluster({ kubeconfig: kc, policies, config });
        after = await listAll();
        const view = (xs: KubeObject[]): string =>
          xs
            .filter((o) => isTrackedKind(o.kind))
            .map(version)
            .sort()
            .join('\n');
        if (view(before) === view(after)) break;
      }
      assert.ok(run);
      const stable = new Set(after.map(version));
      const cluster = storeFromObjects(before);
      const validating = new PolicyRegistry(policies.filter((p) => p.type === 'validate'));
      const byObject = new Map<string, string[]>();
      for (const ev of run.evaluations) {
        const k = `${ev.object.kind}/${ev.object.namespace ?? ''}/${ev.object.name}`;
        const list = byObject.get(k) ?? [];
        for (const f of ev.findings) list.push(f.result === 'warn' ? `warn ${formatWarning(f.rule, f.message)}` : `fail [${f.rule}] ${f.message}`);
        byObject.set(k, list);
      }
      let compared = 0;
      let withFindings = 0;
      const mismatches: string[] = [];
      for (const o of before) {
        if (!o.audited || !stable.has(version(o))) continue;
        const { audited: _a, ...obj } = o;
        const res = reviewObject(obj, {
          registry: validating,
          cluster,
          config,
          now: Date.parse(run.startedAt),
          operation: 'CREATE',
          namespace: obj.metadata?.namespace ?? '',
          username: AUDIT_USER.username,
          groups: [...AUDIT_USER.groups],
        });
        const want = [...res.denials.map((d) => `fail [${d.rule}] ${d.message}`), ...res.warnings.map((w) => `warn ${w}`)].sort();
        const got = [...(byObject.get(id(obj)) ?? [])].sort();
        compared++;
        if (want.length > 0) withFindings++;
        if (JSON.stringify(got) !== JSON.stringify(want))
          mismatches.push(`${id(obj)}: audit ${JSON.stringify(got).slice(0, 300)} review ${JSON.stringify(want).slice(0, 300)}`);
      }
      process.stderr.write(`[parity] audit vs review: ${compared} objects compared (${withFindings} with findings), ${mismatches.length} mismatches\n`);
      for (const m of mismatches.slice(0, 20)) process.stderr.write(`[parity]   ${m}\n`);
      assert.ok(compared > 50 && withFindings > 0, `${compared} objects, ${withFindings} with findings`);
      assert.deepEqual(mismatches, []);
    });
  });
}
