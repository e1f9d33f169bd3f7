/** Issue 4: resource-defaults end to end — reconciler, webhooks, quota, through kubectl. */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { E2E } from './env.js';
import { waitFor } from './env.js';

type Obj = {
  metadata: { name: string; labels?: Record<string, string>; uid?: string };
  spec: Record<string, unknown>;
  status?: { used?: Record<string, string>; hard?: Record<string, string> };
};
// A trusted writer the API server lets an admin impersonate: how these tests cause drift past our own webhook.
const GC = 'system:serviceaccount:kube-system:generic-garbage-collector';

type PodObj = {
  metadata: { name: string; annotations?: Record<string, string> };
  spec: { containers: Array<{ resources: { limits?: Record<string, string>; requests?: Record<string, string> } }> };
};

async function managed(e: E2E, ns: string): Promise<{ limitRange?: Obj; quotas: Obj[] }> {
  const lr = await e.json<{ items: Obj[] }>(['get', 'limitrange', '-n', ns, '-l', 'app.kubernetes.io/managed-by=harbormaster']);
  const rq = await e.json<{ items: Obj[] }>(['get', 'resourcequota', '-n', ns, '-l', 'app.kubernetes.io/managed-by=harbormaster']);
  return { ...(lr.items[0] ? { limitRange: lr.items[0] } : {}), quotas: rq.items };
}

function containerLimits(lr: Obj | undefined): Record<string, Record<string, string>> | undefined {
  return (lr?.spec.limits as Array<Record<string, unknown>> | undefined)?.find((l) => l.type === 'Container') as
    Record<string, Record<string, string>> | undefined;
}

async function writes(e: E2E): Promise<number> {
  const m = await e.env.server.metrics.reconcileWrites.get();
  return m.values.reduce((s, v) => s + v.value, 0);
}

export function resourceDefaultsCases(get: () => E2E): void {
  describe('resource-defaults', () => {
    it('a new namespace gets harbormaster-limits and harbormaster-quota of its profile', async () => {
      const e = get();
      await e.namespace('rd-small', { 'harbormaster.io/quota-profile': 'small' });
      const m = await waitFor(
        'managed objects',
        async () => {
          const got = await managed(e, 'rd-small');
          return got.limitRange && got.quotas.length === 1 ? got : undefined;
        },
        10_000,
      );
      assert.equal(m.limitRange?.metadata.name, 'harbormaster-limits');
      assert.equal(m.limitRange?.metadata.labels?.['app.kubernetes.io/managed-by'], 'harbormaster');
      assert.deepEqual(containerLimits(m.limitRange)?.max, { cpu: '1', memory: '2Gi' });
      assert.equal(m.quotas[0]?.metadata.name, 'harbormaster-quota');
      assert.equal(m.quotas[0]?.spec.hard && (m.quotas[0].spec.hard as Record<string, string>).pods, '30');
    });

    it('the tenant cannot delete the managed LimitRange (RBAC would allow it; the webhook refuses)', async () => {
      const e = get();
      await e.ok(['create', 'role', 'limits-editor', '--verb=delete,update,patch', '--resource=limitranges,resourcequotas', '-n', 'rd-small']);
      await e.ok(['create', 'rolebinding', 'limits-editor', '--role=limits-editor', '--user=tenant', '-n', 'rd-small']);
      const r = await e.k(['delete', 'limitrange', 'harbormaster-limits', '-n', 'rd-small'], { as: 'tenant' });
      assert.notEqual(r.code, 0);
      assert.match(
        r.stderr,
        /\[resource-defaults\.managed-objects\] LimitRange rd-small\/harbormaster-limits is managed by Harbormaster and cannot be deleted by "tenant"/,
      );
      const q = await e.k(['patch', 'resourcequota', 'harbormaster-quota', '-n', 'rd-small', '--type=merge', '-p', '{"spec":{"hard":{"pods":"1000"}}}'], {
        as: 'tenant',
      });
      assert.notEqual(q.code, 0);
      assert.match(q.stderr, /resource-defaults\.managed-objects/);
    });

    it('a deleted or hand-edited managed object is healed within 2 s', async () => {
      const e = get();
      const before = (await managed(e, 'rd-small')).limitRange?.metadata.uid;
      await e.ok(['delete', 'limitrange', 'harbormaster-limits', '-n', 'rd-small', `--as=${GC}`, '--wait=false']);
      const t0 = Date.now();
      await waitFor(
        'LimitRange recreated',
        async () => {
          const lr = (await managed(e, 'rd-small')).limitRange;
          return lr && lr.metadata.uid !== before ? lr : undefined;
        },
        2000,
      );
      const healedIn = Date.now() - t0;
      await e.ok(['patch', 'resourcequota', 'harbormaster-quota', '-n', 'rd-small', `--as=${GC}`, '--type=merge', '-p', '{"spec":{"hard":{"pods":"999"}}}']);
      await waitFor(
        'quota drift undone',
        async () => {
          const q = (await managed(e, 'rd-small')).quotas[0];
          return (q?.spec.hard as Record<string, string> | undefined)?.pods === '30';
        },
        2000,
      );
      assert.ok(healedIn < 2000, `healed in ${healedIn} ms`);
    });

    it('changing the profile annotation makes the objects follow', async () => {
      const e = get();
      await e.ok(['annotate', 'namespace', 'rd-small', 'harbormaster.io/quota-profile=large', '--overwrite']);
      await waitFor(
        'large profile applied',
        async () => {
          const m = await managed(e, 'rd-small');
          return containerLimits(m.limitRange)?.max?.cpu === '32' && (m.quotas[0]?.spec.hard as Record<string, string>)?.pods === '500';
        },
        5000,
      );
      await e.ok(['annotate', 'namespace', 'rd-small', 'harbormaster.io/quota-profile=small', '--overwrite']);
    });

    it('a profile changed in the policy file is rolled out on hot reload', async () => {
      const e = get();
      const original = readFileSync(e.policyFile, 'utf8');
      writeFileSync(e.policyFile, original.replace('pods: "30"', 'pods: "31"'));
      try {
        await waitFor(
          'quota follows the reloaded profile',
          async () => {
            const q = (await managed(e, 'rd-small')).quotas[0];
            return (q?.spec.hard as Record<string, string> | undefined)?.pods === '31';
          },
          10_000,
        );
      } finally {
        writeFileSync(e.policyFile, original);
      }
      await waitFor('and back', async () => ((await managed(e, 'rd-small')).quotas[0]?.spec.hard as Record<string, string> | undefined)?.pods === '30', 10_000);
    });

    it('an unknown profile name on a namespace is refused, listing the valid ones', async () => {
      const e = get();
      const r = await e.k(['annotate', 'namespace', 'rd-small', 'harbormaster.io/quota-profile=huge', '--overwrite']);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /\[resource-defaults\.known-profile\] .*"huge" is not a profile; use one of: default, large, small/);
    });

    it('a Deployment whose template exceeds max is denied at apply time', async () => {
      const e = get();
      const r = await e.k(['apply', '-n', 'rd-small', '-f', '-'], { input: deployment('greedy', 'resources: { limits: { memory: 3Gi } }') });
      assert.notEqual(r.code, 0);
      assert.match(
        r.stderr,
        /\[resource-defaults\.container-limits\] spec\.template\.spec\.containers\[0\]\.resources\.limits\.memory "3Gi" exceeds the maximum 2Gi of profile "small"/,
      );
    });

    it("a compliant Deployment's Pods come back with the profile defaults", async () => {
      const e = get();
      await e.ok(['apply', '-n', 'rd-small', '-f', '-'], { input: deployment('fine', '') });
      const pods = await waitFor(
        'pods of fine',
        async () => {
          const l = await e.json<{ items: Array<{ spec: { containers: Array<{ resources: unknown }> } }> }>([
            'get',
            'pods',
            '-n',
            'rd-small',
            '-l',
            'app=fine',
          ]);
          return l.items.length === 2 ? l.items : undefined;
        },
        60_000,
      );
      for (const p of pods)
        assert.deepEqual(p.spec.containers[0]?.resources, { limits: { cpu: '200m', memory: '256Mi' }, requests: { cpu: '50m', memory: '64Mi' } });
    });

    it('a best-effort Pod in an allowing namespace is admitted untouched and counted by the BestEffort quota', async () => {
      const e = get();
      await e.namespace('rd-batch', { 'harbormaster.io/allow-best-effort': 'true' });
      await waitFor(
        'BestEffort quota with status',
        async () => {
          const q = await e.k(['get', 'resourcequota', 'harbormaster-quota-best-effort', '-n', 'rd-batch', '-o', 'json']);
          return q.code === 0 && (JSON.parse(q.stdout) as Obj).status?.hard?.pods === '20';
        },
        15_000,
      );
      const pod = `apiVersion: v1\nkind: Pod\nmetadata:\n  name: scratch\n  annotations:\n    harbormaster.io/qos: best-effort\nspec:\n  containers:\n    - name: app\n      image: busybox\n`;
      await e.ok(['apply', '-n', 'rd-batch', '-f', '-'], { input: pod });
      const got = await e.json<{ spec: { containers: Array<{ resources?: Record<string, unknown> }> }; status: { qosClass?: string } }>([
        'get',
        'pod',
        'scratch',
        '-n',
        'rd-batch',
      ]);
      assert.deepEqual(got.spec.containers[0]?.resources ?? {}, {});
      assert.equal(got.status.qosClass, 'BestEffort');
      const used = await waitFor(
        'BestEffort quota counts the pod',
        async () => {
          const q = await e.json<Obj>(['get', 'resourcequota', 'harbormaster-quota-best-effort', '-n', 'rd-batch']);
          return q.status?.used?.pods === '1' ? q : undefined;
        },
        15_000,
      );
      assert.equal(used.status?.used?.pods, '1');
      // Elsewhere the same opt-out is refused.
      const r = await e.k(['apply', '-n', 'rd-small', '-f', '-'], { input: pod });
      assert.match(r.stderr, /\[resource-defaults\.best-effort-opt-out\]/);
    });

    it('issue 11: a Deployment with only requests.cpu 1 (default limit 500m) runs Pods with limit = request, though LimitRanger defaulted first', async () => {
      const e = get();
      await e.namespace('rd-valid');
      await waitFor('harbormaster-limits in rd-valid', async () => (await managed(e, 'rd-valid')).limitRange, 10_000);
      await e.ok(['apply', '-n', 'rd-valid', '-f', '-'], { input: deployment('big-request', 'resources: { requests: { cpu: "1" } }', 1) });
      const [p] = await waitFor(
        'a pod of big-request',
        async () => {
          const l = await e.json<{ items: PodObj[] }>(['get', 'pods', '-n', 'rd-valid', '-l', 'app=big-request']);
          return l.items.length === 1 ? l.items : undefined;
        },
        60_000,
      );
      assert.deepEqual(p?.spec.containers[0]?.resources, { limits: { cpu: '1', memory: '512Mi' }, requests: { cpu: '1', memory: '128Mi' } });
      // LimitRanger ran before our webhook and set the 500m default; we fitted it.
      assert.match(p?.metadata.annotations?.['kubernetes.io/limit-ranger'] ?? '', /cpu, memory limit for container app/);
    });

    it('issue 11: a Deployment whose request is above the profile max is refused at apply time', async () => {
      const e = get();
      const r = await e.k(['apply', '-n', 'rd-valid', '-f', '-'], { input: deployment('too-much', 'resources: { requests: { cpu: "5" } }', 1) });
      assert.notEqual(r.code, 0);
      assert.match(
        r.stderr,
        /\[resource-defaults\.container-limits\] spec\.template\.spec\.containers\[0\]\.resources\.requests\.cpu "5" exceeds the maximum 4 of profile "default"/,
      );
    });

    it('issue 11: an in-place resize above the profile max is refused (a running Pod, resized in place)', async () => {
      const e = get();
      const resize = (ns: string, name: string, cpu: string) =>
        e.k([
          'patch',
          'pod',
          name,
          '-n',
          ns,
          '--subresource',
          'resize',
          '-p',
          JSON.stringify({ spec: { containers: [{ name: 'app', resources: { limits: { cpu } } }] } }),
        ]);
      const [p] = (await e.json<{ items: PodObj[] }>(['get', 'pods', '-n', 'rd-valid', '-l', 'app=big-request'])).items;
      const name = p?.metadata.name ?? '';
      const within = await resize('rd-valid', name, '2');
      assert.equal(within.code, 0, within.stderr);
      // Here the API server's own LimitRanger answers first; either way the resize is refused.
      const over = await resize('rd-valid', name, '5');
      assert.notEqual(over.code, 0);
      assert.match(over.stderr, /maximum cpu usage per Container is 4|resource-defaults\.container-limits/);
      // Where the LimitRange has no Container bounds (best-effort namespaces), only this webhook stands in the way.
      await e.namespace('rd-valid-be', { 'harbormaster.io/allow-best-effort': 'true' });
      await e.ok(['apply', '-n', 'rd-valid-be', '-f', '-'], {
        input:
          'apiVersion: v1\nkind: Pod\nmetadata:\n  name: sized\nspec:\n  containers:\n    - name: app\n      image: nginx:1.27\n      resources: { requests: { cpu: "1" } }\n',
      });
      const mine = await resize('rd-valid-be', 'sized', '5');
      assert.notEqual(mine.code, 0);
      assert.match(
        mine.stderr,
        /\[resource-defaults\.container-limits\] spec\.containers\[0\]\.resources\.limits\.cpu "5" exceeds the maximum 4 of profile "default"/,
      );
      const got = await e.json<PodObj>(['get', 'pod', 'sized', '-n', 'rd-valid-be']);
      assert.equal(got.spec.containers[0]?.resources.limits?.cpu, '1');
    });

    it('makes no API writes while nothing changes', async () => {
      const e = get();
      await e.env.server.namespaceReconciler()?.idle();
      const before = await writes(e);
      await new Promise((r) => setTimeout(r, 10_000));
      assert.equal(await writes(e), before);
    });
  });
}

function deployment(name: string, resources: string, replicas = 2): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
spec:
  replicas: ${replicas}
  selector:
    matchLabels: { app: ${name} }
  template:
    metadata:
      labels: { app: ${name} }
    spec:
      containers:
        - name: app
          image: nginx:1.27
          ${resources}
`;
}
