/**
 * Issue 13: the simulated nodes of the dev control plane. kube-scheduler binds
 * Pods to kwok's fake Linux nodes, kwok reports them Running and Ready,
 * controllers see ready replicas, and claims of the default StorageClass bind
 * through kube-controller-manager's hostPath provisioner.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { before, describe, it } from 'node:test';
import type { E2E } from './env.js';
import { waitFor } from './env.js';

type Pod = {
  metadata: { name: string; deletionTimestamp?: string };
  spec: { nodeName?: string };
  status: { phase?: string; podIP?: string; hostIP?: string; conditions?: Array<{ type: string; status: string }> };
};
type Node = {
  metadata: { name: string; labels: Record<string, string>; annotations: Record<string, string> };
  spec: { podCIDR?: string; taints?: unknown[] };
  status: { allocatable: Record<string, string>; conditions: Array<{ type: string; status: string }>; addresses: Array<{ type: string; address: string }> };
};

const NS = 'nodes-work';
const resources = 'resources: { requests: { cpu: 50m, memory: 64Mi }, limits: { cpu: 100m, memory: 128Mi } }';
const ready = (p: Pod) => p.status.phase === 'Running' && p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;
const inCidr = (ip: string, cidr: string) => ip.startsWith(cidr.replace(/0\/24$/, ''));

export function nodesCases(get: () => E2E): void {
  describe('simulated nodes', () => {
    const pods = async (e: E2E, selector: string) =>
      (await e.json<{ items: Pod[] }>(['get', 'pods', '-n', NS, '-l', selector])).items.filter((p) => !p.metadata.deletionTimestamp);
    const nodes = async (e: E2E) => (await e.json<{ items: Node[] }>(['get', 'nodes', '-l', 'type=kwok'])).items;
    before(async () => {
      await get().namespace(NS);
    });

    it('the fake Linux nodes are Ready, untainted, with room for the addons, and kwok holds their Leases', async () => {
      const e = get();
      const list = await nodes(e);
      assert.deepEqual(list.map((n) => n.metadata.name).sort(), [...e.env.controlPlane.nodes].sort());
      assert.ok(list.length >= 1);
      for (const n of list) {
        assert.equal(n.metadata.labels['kubernetes.io/os'], 'linux');
        assert.equal(n.metadata.labels['kubernetes.io/arch'], 'amd64');
        assert.equal(n.metadata.labels['kubernetes.io/hostname'], n.metadata.name);
        assert.equal(n.metadata.annotations['kwok.x-k8s.io/node'], 'fake');
        assert.deepEqual(n.spec.taints ?? [], [], `${n.metadata.name} has no taints, so DaemonSets run on it`);
        assert.equal(n.status.conditions.find((c) => c.type === 'Ready')?.status, 'True');
        assert.equal(n.status.allocatable.cpu, '32');
        assert.equal(n.status.allocatable.memory, '128Gi');
        assert.equal(n.status.allocatable.pods, '110');
        // Liveness goes through the node's Lease, renewed by kwok (every 10 s for a 40 s lease).
        const lease = await e.json<{ spec: { holderIdentity?: string; leaseDurationSeconds?: number; renewTime?: string } }>([
          'get',
          'lease',
          n.metadata.name,
          '-n',
          'kube-node-lease',
        ]);
        assert.ok(lease.spec.holderIdentity, 'the lease has a holder');
        assert.equal(lease.spec.leaseDurationSeconds, 40);
        assert.ok(Date.now() - Date.parse(lease.spec.renewTime ?? '') < 40_000, `lease of ${n.metadata.name} renewed within its duration`);
      }
    });

    it('a Deployment reaches 2 ready replicas on the nodes; scaled to 0, its Pods are gone', async (t) => {
      const e = get();
      const t0 = Date.now();
      await e.ok(['apply', '-n', NS, '-f', '-'], {
        input: `apiVersion: apps/v1
kind: Deployment
metadata: { name: web }
spec:
  replicas: 2
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      nodeSelector: { kubernetes.io/os: linux }
      containers:
        - { name: web, image: nginx:1.29, ${resources} }
`,
      });
      await waitFor(
        'Deployment web: 2 ready replicas',
        async () => (await e.json<{ status: { readyReplicas?: number } }>(['get', 'deployment', 'web', '-n', NS])).status.readyReplicas === 2,
        20_000,
      );
      t.diagnostic(`deployment: ${Date.now() - t0} ms`);
      const list = await pods(e, 'app=web');
      assert.equal(list.length, 2);
      const byName = new Map((await nodes(e)).map((n) => [n.metadata.name, n]));
      for (const p of list) {
        assert.ok(ready(p), `${p.metadata.name} Running and Ready`);
        const node = byName.get(p.spec.nodeName ?? '');
        assert.ok(node, `${p.metadata.name} runs on a simulated node (${p.spec.nodeName})`);
        // kwok gives the Pod an IP from its node's podCIDR, and the node's address as hostIP.
        assert.ok(p.status.podIP && inCidr(p.status.podIP, node.spec.podCIDR ?? ''), `${p.status.podIP} in ${node.spec.podCIDR}`);
        assert.equal(p.status.hostIP, node.status.addresses.find((a) => a.type === 'InternalIP')?.address);
      }
      const t1 = Date.now();
      await e.ok(['scale', 'deployment', 'web', '-n', NS, '--replicas=0']);
      await waitFor(
        'the Pods of web deleted',
        async () => (await e.json<{ items: Pod[] }>(['get', 'pods', '-n', NS, '-l', 'app=web'])).items.length === 0,
        20_000,
      );
      t.diagnostic(`scaleDown: ${Date.now() - t1} ms`);
    });

    it('a running Pod reports the resources it runs with, and an in-place resize as applied', async () => {
      const e = get();
      await e.ok(['apply', '-n', NS, '-f', '-'], {
        input: `apiVersion: v1
kind: Pod
metadata: { name: sized }
spec:
  nodeSelector: { kubernetes.io/os: linux }
  containers:
    - { name: app, image: busybox:1.37, ${resources} }
`,
      });
      type Sized = Pod & {
        metadata: { generation: number };
        status: { observedGeneration?: number; containerStatuses?: Array<{ resources?: { limits?: Record<string, string> } }> };
      };
      const running = await waitFor('Pod sized Running', async () => {
        const p = await e.json<Sized>(['get', 'pod', 'sized', '-n', NS]);
        return ready(p) ? p : undefined;
      });
      assert.deepEqual(running.status.containerStatuses?.[0]?.resources?.limits, { cpu: '100m', memory: '128Mi' });
      // The API server takes a resize of a running Pod only from a node that reports its resources.
      const resize = await e.k([
        'patch',
        'pod',
        'sized',
        '-n',
        NS,
        '--subresource',
        'resize',
        '-p',
        JSON.stringify({ spec: { containers: [{ name: 'app', resources: { limits: { cpu: '200m' } } }] } }),
      ]);
      assert.equal(resize.code, 0, resize.stderr);
      const resized = await waitFor(
        'resize reported',
        async () => {
          const p = await e.json<Sized>(['get', 'pod', 'sized', '-n', NS]);
          return p.status.observedGeneration === p.metadata.generation ? p : undefined;
        },
        10_000,
      );
      assert.equal(resized.status.containerStatuses?.[0]?.resources?.limits?.cpu, '200m');
      assert.ok(ready(resized));
    });

    it('a DaemonSet gets one Ready Pod on every node', async (t) => {
      const e = get();
      const count = e.env.controlPlane.nodes.length;
      assert.ok(count >= 1, 'simulated nodes to run on');
      const t0 = Date.now();
      await e.ok(['apply', '-n', NS, '-f', '-'], {
        input: `apiVersion: apps/v1
kind: DaemonSet
metadata: { name: agent }
spec:
  selector: { matchLabels: { app: agent } }
  template:
    metadata: { labels: { app: agent } }
    spec:
      nodeSelector: { kubernetes.io/os: linux }
      containers:
        - { name: agent, image: busybox:1.37, ${resources} }
`,
      });
      const status = await waitFor(
        'DaemonSet agent rolled out',
        async () => {
          const s = (await e.json<{ status: { desiredNumberScheduled?: number; numberReady?: number } }>(['get', 'daemonset', 'agent', '-n', NS])).status;
          return s.desiredNumberScheduled === count && s.numberReady === count ? s : undefined;
        },
        20_000,
      );
      t.diagnostic(`daemonSet: ${Date.now() - t0} ms`);
      assert.equal(status.numberReady, count);
      const list = await pods(e, 'app=agent');
      assert.deepEqual(list.map((p) => p.spec.nodeName).sort(), [...e.env.controlPlane.nodes].sort(), 'one Pod per node');
      for (const p of list) assert.ok(ready(p), `${p.metadata.name} Running and Ready`);
    });

    it('a Job runs to completion', async (t) => {
      const e = get();
      const t0 = Date.now();
      await e.ok(['apply', '-n', NS, '-f', '-'], {
        input: `apiVersion: batch/v1
kind: Job
metadata: { name: once }
spec:
  template:
    spec:
      restartPolicy: Never
      nodeSelector: { kubernetes.io/os: linux }
      containers:
        - { name: once, image: busybox:1.37, ${resources} }
`,
      });
      await waitFor(
        'Job once complete',
        async () => (await e.json<{ status: { succeeded?: number } }>(['get', 'job', 'once', '-n', NS])).status.succeeded === 1,
        20_000,
      );
      t.diagnostic(`job: ${Date.now() - t0} ms`);
      const [p] = await pods(e, 'job-name=once');
      assert.equal(p?.status.phase, 'Succeeded');
    });

    it('a claim without a class gets the default StorageClass, binds, and a Pod using it runs; deleted, its volume goes', async (t) => {
      const e = get();
      const t0 = Date.now();
      await e.ok(['apply', '-n', NS, '-f', '-'], {
        input: `apiVersion: v1
kind: PersistentVolumeClaim
metadata: { name: data }
spec:
  accessModes: [ReadWriteOnce]
  resources: { requests: { storage: 1Gi } }
---
apiVersion: v1
kind: Pod
metadata: { name: uses-data }
spec:
  nodeSelector: { kubernetes.io/os: linux }
  containers:
    - name: app
      image: busybox:1.37
      ${resources}
      volumeMounts: [{ name: data, mountPath: /data }]
  volumes: [{ name: data, persistentVolumeClaim: { claimName: data } }]
`,
      });
      const pvc = await waitFor(
        'claim data bound',
        async () => {
          const c = await e.json<{ spec: { storageClassName?: string; volumeName?: string }; status: { phase?: string } }>(['get', 'pvc', 'data', '-n', NS]);
          return c.status.phase === 'Bound' ? c : undefined;
        },
        20_000,
      );
      t.diagnostic(`pvcBound: ${Date.now() - t0} ms`);
      assert.equal(pvc.spec.storageClassName, 'standard');
      const pv = await e.json<{ spec: { hostPath?: { path: string }; storageClassName?: string } }>(['get', 'pv', pvc.spec.volumeName ?? '']);
      assert.equal(pv.spec.storageClassName, 'standard');
      const dir = pv.spec.hostPath?.path ?? '';
      assert.match(dir, /^\/tmp\/hostpath_pv\/[0-9a-f-]{36}$/);
      assert.ok(existsSync(dir), `the provisioner made ${dir}`);
      await waitFor('Pod uses-data Running and Ready', async () => ready(await e.json<Pod>(['get', 'pod', 'uses-data', '-n', NS])), 20_000);
      t.diagnostic(`pvcPodReady: ${Date.now() - t0} ms`);

      await e.ok(['delete', 'pod', 'uses-data', '-n', NS, '--wait=true', '--timeout=20s']);
      await e.ok(['delete', 'pvc', 'data', '-n', NS, '--wait=true', '--timeout=20s']);
      await waitFor(
        'the volume and its directory removed',
        async () => (await e.k(['get', 'pv', pvc.spec.volumeName ?? ''])).code !== 0 && !existsSync(dir),
        20_000,
      );
      await e.ok(['delete', 'namespace', NS, '--wait=false']);
    });
  });
}
