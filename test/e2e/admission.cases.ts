/** Issue 3: Harbormaster as users meet it, through kubectl against a real API server. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { PACKAGE_ROOT } from '../../src/paths.js';
import type { E2E } from './env.js';
import { waitFor } from './env.js';

type PodJson = { spec: { containers: Array<{ name: string; resources?: { limits?: Record<string, string>; requests?: Record<string, string> } }> } };

const POD = (name: string, extra = '') => `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
  containers:
    - name: app
      image: nginx:1.27${extra}
`;

export function admissionCases(get: () => E2E): void {
  describe('admission through kubectl', () => {
    // In a namespace that allows best-effort Pods the LimitRange carries no defaults or maxima
    // (see desired.ts), so what happens to a Pod there is Harbormaster's doing alone; elsewhere
    // the API server's LimitRanger, which runs before admission webhooks, would act first.
    it('a Pod created with kubectl apply comes back mutated, with the warning shown', async () => {
      const e = get();
      const ns = await e.namespace('e2e-apply', { 'harbormaster.io/quota-profile': 'small', 'harbormaster.io/allow-best-effort': 'true' });
      const r = await e.k(['apply', '-n', ns, '-f', '-'], { input: POD('web') });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /Warning: \[resource-defaults\.container-defaults\] profile "small" defaults set on app/);
      const pod = await e.json<PodJson>(['get', 'pod', 'web', '-n', ns]);
      assert.deepEqual(pod.spec.containers[0]?.resources, { limits: { cpu: '200m', memory: '256Mi' }, requests: { cpu: '50m', memory: '64Mi' } });
    });

    it('a denial reaches kubectl with the rule-id message and a non-zero exit', async () => {
      const e = get();
      const r = await e.k(['apply', '-n', 'e2e-apply', '-f', '-'], { input: POD('huge', '\n      resources: { limits: { cpu: "3" } }') });
      assert.notEqual(r.code, 0);
      assert.match(
        r.stderr,
        /admission webhook "resource-defaults\.validate\.harbormaster\.io" denied the request: \[resource-defaults\.container-limits\] spec\.containers\[0\]\.resources\.limits\.cpu "3" exceeds the maximum 1 of profile "small"/,
      );
      assert.equal((await e.k(['get', 'pod', 'huge', '-n', 'e2e-apply'])).code, 1, 'nothing was written');
    });

    it('kubectl apply --dry-run=server shows the mutation and writes nothing', async () => {
      const e = get();
      const out = await e.ok(['apply', '--dry-run=server', '-n', 'e2e-apply', '-o', 'json', '-f', '-'], { input: POD('dry') });
      const pod = JSON.parse(out) as PodJson;
      assert.equal(pod.spec.containers[0]?.resources?.limits?.cpu, '200m');
      const after = await e.k(['get', 'pod', 'dry', '-n', 'e2e-apply']);
      assert.notEqual(after.code, 0);
      assert.match(after.stderr, /NotFound/);
    });

    it('kubectl apply -k manifests/ is accepted by the API server (server-side dry run)', async () => {
      const e = get();
      const r = await e.k(['apply', '-k', join(PACKAGE_ROOT, 'manifests'), '--dry-run=server']);
      assert.equal(r.code, 0, r.stderr);
      for (const what of [
        'customresourcedefinition.apiextensions.k8s.io/clusters.harbormaster.io',
        'deployment.apps/harbormaster',
        'poddisruptionbudget.policy/harbormaster',
        'networkpolicy.networking.k8s.io/harbormaster',
        'configmap/harbormaster-policy',
        'mutatingwebhookconfiguration.admissionregistration.k8s.io/harbormaster',
        'validatingwebhookconfiguration.admissionregistration.k8s.io/harbormaster',
      ]) {
        assert.ok(r.stdout.includes(what), `${what} in ${r.stdout}`);
      }
    });

    it("a Deployment's Pods, created by the ReplicaSet controller, go through the webhook", async () => {
      const e = get();
      const ns = await e.namespace('e2e-deploy');
      const before = await mutateCount(e);
      await e.ok(['create', 'deployment', 'web', '--image=nginx:1.27', '--replicas=2', '-n', ns]);
      const pods = await waitFor(
        '2 pods from the ReplicaSet controller',
        async () => {
          const list = await e.json<{ items: PodJson[] }>(['get', 'pods', '-n', ns, '-l', 'app=web']);
          return list.items.length === 2 ? list.items : undefined;
        },
        60_000,
      );
      for (const p of pods) assert.equal(p.spec.containers[0]?.resources?.limits?.cpu, '500m');
      assert.ok((await mutateCount(e)) >= before + 2, 'the webhook answered the controller-created Pods');
    });

    it('a Pod that sets every request and limit itself costs no call to /mutate/resource-defaults (matchConditions)', async () => {
      const e = get();
      const ns = await e.namespace('e2e-complete');
      await waitFor('harbormaster-limits', async () => (await e.k(['get', 'limitrange', 'harbormaster-limits', '-n', ns])).code === 0, 10_000);
      const complete = { requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '100m', memory: '64Mi' } };
      const pod = (name: string, resources?: unknown): string =>
        JSON.stringify({
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name },
          spec: { containers: [{ name: 'app', image: 'nginx:1.27', ...(resources ? { resources } : {}) }] },
        });
      const before = await mutateCount(e);
      await e.ok(['create', '-n', ns, '-f', '-'], { input: pod('complete', complete) });
      assert.equal(await mutateCount(e), before, 'not called for a complete Pod');
      // Without resources, the LimitRange fills them first (its annotation says so) and we are still called to fit them.
      await e.ok(['create', '-n', ns, '-f', '-'], { input: pod('bare') });
      assert.equal(await mutateCount(e), before + 1, 'called for a Pod that lacks them');
      const bare = await e.json<PodJson>(['get', 'pod', 'bare', '-n', ns]);
      assert.ok(bare.spec.containers[0]?.resources?.limits?.cpu, 'defaulted');
    });
  });
}

async function mutateCount(e: E2E): Promise<number> {
  const m = await e.env.server.metrics.requests.get();
  return m.values.filter((v) => v.labels.webhook === 'mutate/resource-defaults').reduce((s, v) => s + v.value, 0);
}

/** Must run last: it stops the webhook server. */
export function outageCases(get: () => E2E): void {
  describe('with the webhook server stopped', () => {
    it('an excluded namespace (kube-system) can still be written: no self-lockout', async () => {
      const e = get();
      await e.env.server.close();
      const r = await e.k(['create', 'configmap', 'still-writable', '-n', 'kube-system', '--from-literal=a=b']);
      assert.equal(r.code, 0, r.stderr);
      const pod = await e.k(['apply', '-n', 'kube-system', '-f', '-'], { input: POD('sys') });
      assert.equal(pod.code, 0, pod.stderr);
    });

    it('a matchCondition keeps ordinary Secrets away from the webhook: they are written during the outage', async () => {
      const e = get();
      const r = await e.k(['create', 'secret', 'generic', 'plain', '-n', 'e2e-apply', '--from-literal=a=b']);
      assert.equal(r.code, 0, r.stderr);
      const cred = await e.k([
        'create',
        'secret',
        'generic',
        'cred',
        '--type=aws-credential',
        '-n',
        'e2e-apply',
        '--from-literal=aws_access_key_id=AKIA0123456789ABCDEF',
        '--from-literal=aws_secret_access_key=x',
      ]);
      assert.match(cred.stderr, /failed calling webhook "cloud-credentials\.validate\.harbormaster\.io"/);
    });

    it("an entry with failurePolicy Fail refuses with the API server's error", async () => {
      const e = get();
      const r = await e.k(['create', 'deployment', 'blocked', '--image=nginx', '-n', 'e2e-apply']);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /failed calling webhook "resource-defaults\.validate\.harbormaster\.io"/);
      assert.match(r.stderr, /connection refused/);
    });
  });
}
