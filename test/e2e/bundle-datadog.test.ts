/**
 * The datadog bundle's fixes, rendered with the real helm: health ports the agents
 * really serve, one generated token shared by node and cluster agent, current
 * images, Linux-only Pods, least host access, exact RBAC, and 1.0.0's values and
 * selectors still accepted.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { parse } from 'yaml';
import { compareVersions, type Addon } from '../../src/catalog/catalog.js';
import type { KubeObject } from '../../src/kube/types.js';
import { HelmRenderer } from '../../src/addons/render.js';
import { ensureBinaries } from '../../src/dev/binaries.js';
import { defaultCatalog } from '../../src/policies/index.js';

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string }; fieldRef?: unknown };
}
interface Port {
  name?: string;
  containerPort: number;
  hostPort?: number;
  protocol?: string;
}
interface Probe {
  httpGet?: { path: string; port: number | string };
  tcpSocket?: { port: number | string };
}
interface Container {
  name: string;
  image: string;
  env?: EnvVar[];
  ports?: Port[];
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  startupProbe?: Probe;
  volumeMounts?: Array<{ name: string; mountPath: string; readOnly?: boolean; subPath?: string }>;
  securityContext?: Record<string, unknown> & { capabilities?: { add?: string[]; drop?: string[] } };
}
interface Volume {
  name: string;
  hostPath?: { path: string };
  configMap?: { name: string };
}
interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  volumes?: Volume[];
  nodeSelector?: Record<string, string>;
  tolerations?: Array<Record<string, string>>;
  securityContext?: Record<string, unknown>;
  hostNetwork?: boolean;
  hostPID?: boolean;
}
interface Workload extends KubeObject {
  spec: { selector: unknown; template: { metadata?: { annotations?: Record<string, string> }; spec: PodSpec } };
}
interface Rule {
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  verbs: string[];
}

const workloads = (objects: KubeObject[]): Workload[] =>
  objects.filter((o): o is Workload => ['DaemonSet', 'Deployment', 'StatefulSet'].includes(o.kind ?? ''));

function workload(objects: KubeObject[], kind: string, name: string): Workload {
  const w = workloads(objects).find((o) => o.kind === kind && o.metadata?.name === name);
  assert.ok(w, `${kind}/${name} rendered`);
  return w;
}

function container(w: Workload, name: string): Container {
  const c = w.spec.template.spec.containers.find((x) => x.name === name);
  assert.ok(c, `${w.metadata?.name} has container ${name}`);
  return c;
}

function env(c: Container, name: string): EnvVar | undefined {
  return c.env?.find((e) => e.name === name);
}

/** The number a probe port (number or port name) stands for in this container; fails when it is not declared. */
function probePort(c: Container, port: number | string): number {
  const declared = c.ports?.find((p) => (typeof port === 'number' ? p.containerPort === port : p.name === port));
  assert.ok(declared, `${c.name}: probe port ${port} is a declared containerPort`);
  return declared.containerPort;
}

function probes(c: Container): Array<[string, Probe]> {
  return (['livenessProbe', 'readinessProbe', 'startupProbe'] as const).flatMap((k) => (c[k] ? [[k, c[k]] as [string, Probe]] : []));
}

function rules(objects: KubeObject[]): Array<{ owner: string; rule: Rule }> {
  return objects
    .filter((o) => o.kind === 'ClusterRole' || o.kind === 'Role')
    .flatMap((o) => ((o as { rules?: Rule[] }).rules ?? []).map((rule) => ({ owner: `${o.kind}/${o.metadata?.name}`, rule })));
}

function semver(tag: string): number[] {
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(tag);
  assert.ok(m, `${tag} is a version`);
  return m.slice(1).map(Number);
}

const tagOf = (image: string): string => image.slice(image.lastIndexOf(':') + 1);
const repoOf = (image: string): string => image.slice(0, image.lastIndexOf(':'));

describe('datadog bundle (real helm)', () => {
  let renderer: HelmRenderer;
  let addon: Addon;
  let old: Addon;
  let objects: KubeObject[];

  before(
    async () => {
      const bin = await ensureBinaries();
      renderer = new HelmRenderer({ helm: bin.helm });
      const found = defaultCatalog().find((a) => a.name === 'datadog');
      assert.ok(found, 'datadog in the catalog');
      addon = found;
      const previous = addon.older.find((o) => o.version === '1.0.0');
      assert.ok(previous, 'the catalog keeps datadog 1.0.0');
      old = previous;
      objects = await renderer.render(addon, {});
    },
    { timeout: 30 * 60_000 },
  );

  it('is a newer bundle version than 1.0.0', () => {
    assert.ok(compareVersions(addon.version, old.version) > 0, `${addon.version} > ${old.version}`);
  });

  it('sets DD_HEALTH_PORT to the port its probes use, declared as a containerPort, on both agents', () => {
    const agents: Array<[string, string, string]> = [
      ['DaemonSet', 'datadog-agent', 'agent'],
      ['Deployment', 'datadog-cluster-agent', 'cluster-agent'],
    ];
    const seen = new Set<number>();
    for (const [kind, name, cname] of agents) {
      const c = container(workload(objects, kind, name), cname);
      const health = Number(env(c, 'DD_HEALTH_PORT')?.value);
      assert.ok(Number.isInteger(health) && health > 0, `${name}: DD_HEALTH_PORT set (the agent default 0 serves no health endpoint)`);
      const ps = probes(c);
      assert.ok(ps.some(([k]) => k === 'livenessProbe') && ps.some(([k]) => k === 'readinessProbe'), `${name}: liveness and readiness probes`);
      for (const [k, p] of ps) {
        assert.ok(p.httpGet, `${name} ${k} is an HTTP check of the health server`);
        assert.equal(probePort(c, p.httpGet.port), health, `${name} ${k} probes DD_HEALTH_PORT`);
      }
      seen.add(health);
    }
    assert.equal(seen.size, 2, 'node and cluster agent health ports are distinct');
  });

  it('points every probe of every container at a port that container declares', () => {
    for (const w of workloads(objects))
      for (const c of w.spec.template.spec.containers)
        for (const [, p] of probes(c)) {
          const port = p.httpGet?.port ?? p.tcpSocket?.port;
          assert.ok(port !== undefined, `${w.metadata?.name}/${c.name}: probe has a port`);
          probePort(c, port);
        }
  });

  it('makes the agents listen where the Pod says: DogStatsD and APM ports follow their values', async () => {
    const custom = await renderer.render(addon, { agent: { dogstatsdPort: 18125, apmPort: 18126 } });
    const ds = workload(custom, 'DaemonSet', 'datadog-agent');
    const agent = container(ds, 'agent');
    const trace = container(ds, 'trace-agent');
    assert.equal(env(agent, 'DD_DOGSTATSD_PORT')?.value, '18125');
    assert.deepEqual(
      agent.ports?.find((p) => p.name === 'dogstatsd'),
      { name: 'dogstatsd', containerPort: 18125, hostPort: 18125, protocol: 'UDP' },
    );
    assert.equal(env(trace, 'DD_APM_RECEIVER_PORT')?.value, '18126');
    assert.deepEqual(
      trace.ports?.find((p) => p.name === 'apm'),
      { name: 'apm', containerPort: 18126, hostPort: 18126, protocol: 'TCP' },
    );
    assert.equal(probePort(trace, trace.livenessProbe?.tcpSocket?.port ?? -1), 18126, 'trace-agent liveness checks the APM receiver');
  });

  it('gives node and cluster agent the same auth token, from the Secret the manager generates', () => {
    const generated = addon.generatedSecrets.find((s) => s.name === 'datadog-cluster-agent');
    assert.ok(generated?.keys.includes('token'), 'addon.yaml generatedSecrets declares datadog-cluster-agent/token');
    const ds = workload(objects, 'DaemonSet', 'datadog-agent');
    const dca = workload(objects, 'Deployment', 'datadog-cluster-agent');
    const users = [container(ds, 'agent'), container(ds, 'trace-agent'), container(dca, 'cluster-agent')];
    for (const c of users) {
      const token = env(c, 'DD_CLUSTER_AGENT_AUTH_TOKEN');
      assert.ok(token, `${c.name}: DD_CLUSTER_AGENT_AUTH_TOKEN set`);
      assert.equal(token.value, undefined, `${c.name}: the token is never a literal`);
      assert.deepEqual(token.valueFrom?.secretKeyRef, { name: 'datadog-cluster-agent', key: 'token' }, `${c.name}: token from the generated Secret`);
    }
    assert.ok(!objects.some((o) => o.kind === 'Secret'), 'the chart renders no Secret: the manager creates it once and never rewrites it');
    for (const c of [container(ds, 'agent'), container(ds, 'trace-agent')]) assert.equal(env(c, 'DD_CLUSTER_AGENT_ENABLED')?.value, 'true');
  });

  it('connects the node agent to the cluster agent Service on the port the cluster agent serves', () => {
    const agent = container(workload(objects, 'DaemonSet', 'datadog-agent'), 'agent');
    const dca = container(workload(objects, 'Deployment', 'datadog-cluster-agent'), 'cluster-agent');
    const svc = objects.find((o) => o.kind === 'Service' && o.metadata?.name === 'datadog-cluster-agent') as
      { spec: { ports: Array<{ port: number; targetPort: string }> } } | undefined;
    assert.ok(svc, 'Service datadog-cluster-agent');
    assert.equal(env(agent, 'DD_CLUSTER_AGENT_KUBERNETES_SERVICE_NAME')?.value, 'datadog-cluster-agent');
    assert.equal(env(agent, 'DD_CLUSTER_AGENT_URL')?.value, 'https://datadog-cluster-agent.datadog.svc:5005');
    assert.equal(env(dca, 'DD_CLUSTER_AGENT_CMD_PORT')?.value, '5005');
    assert.equal(probePort(dca, svc.spec.ports[0]!.targetPort), 5005);
    assert.equal(svc.spec.ports[0]!.port, 5005);
  });

  it('runs images newer than 1.0.0, pinned and listed in addon.yaml with their release date', async () => {
    const oldImages = new Map<string, string>();
    for (const w of workloads(await renderer.render(old, {}))) for (const c of w.spec.template.spec.containers) oldImages.set(repoOf(c.image), tagOf(c.image));
    const listed = new Map(addon.images.map((i) => [i.image, i]));
    for (const w of workloads(objects))
      for (const c of [...(w.spec.template.spec.initContainers ?? []), ...w.spec.template.spec.containers]) {
        const pin = listed.get(c.image);
        assert.ok(pin, `${c.image} is listed in addon.yaml images`);
        assert.equal(pin.version, tagOf(c.image));
        assert.match(pin.released, /^2026-\d\d-\d\d$/);
        const before = oldImages.get(repoOf(c.image));
        assert.ok(before, `${repoOf(c.image)} ran in 1.0.0 too`);
        const [a, b] = [semver(tagOf(c.image)), semver(before)];
        assert.ok(a[0] === 7 && (a[1]! > b[1]! || (a[1] === b[1] && a[2]! > b[2]!)), `${c.image} is a newer 7.x than ${before}`);
      }
  });

  it('pins every Pod to Linux and lets the node agent onto every node', () => {
    for (const w of workloads(objects)) assert.equal(w.spec.template.spec.nodeSelector?.['kubernetes.io/os'], 'linux', `${w.metadata?.name} on Linux nodes`);
    const tolerations = workload(objects, 'DaemonSet', 'datadog-agent').spec.template.spec.tolerations ?? [];
    assert.ok(
      tolerations.some((t) => t.operator === 'Exists' && t.key === undefined),
      'the node agent tolerates every taint',
    );
  });

  it('rolls Pods when a ConfigMap they mount changes, and never mounts one with subPath', () => {
    const configMaps = new Set(objects.filter((o) => o.kind === 'ConfigMap').map((o) => o.metadata?.name));
    for (const w of workloads(objects)) {
      const pod = w.spec.template.spec;
      for (const v of pod.volumes ?? [])
        if (v.configMap && configMaps.has(v.configMap.name)) {
          assert.ok(w.spec.template.metadata?.annotations?.[`checksum/${v.configMap.name}`], `${w.metadata?.name}: checksum/${v.configMap.name}`);
          for (const c of [...pod.containers, ...(pod.initContainers ?? [])])
            for (const m of c.volumeMounts ?? []) assert.ok(!(m.name === v.name && m.subPath), `${c.name}: ConfigMap ${v.name} not mounted with subPath`);
        }
    }
  });

  it('keeps the cluster agent restricted and the node agent to read-only /proc and cgroups', () => {
    const dca = workload(objects, 'Deployment', 'datadog-cluster-agent').spec.template.spec;
    assert.equal(dca.securityContext?.runAsNonRoot, true);
    assert.ok(Number(dca.securityContext?.runAsUser) > 0, 'a numeric non-root UID (the image user is a name)');
    assert.deepEqual(dca.securityContext?.seccompProfile, { type: 'RuntimeDefault' });
    assert.ok(!dca.volumes?.some((v) => v.hostPath), 'no hostPath');
    for (const c of [...dca.containers, ...(dca.initContainers ?? [])]) {
      assert.equal(c.securityContext?.allowPrivilegeEscalation, false, c.name);
      assert.equal(c.securityContext?.readOnlyRootFilesystem, true, c.name);
      assert.deepEqual(c.securityContext?.capabilities?.drop, ['ALL'], c.name);
      for (const cap of c.securityContext?.capabilities?.add ?? [])
        assert.equal(cap, 'NET_BIND_SERVICE', `${c.name}: restricted allows adding only NET_BIND_SERVICE`);
      assert.ok(!c.ports?.some((p) => p.hostPort), `${c.name}: no hostPort`);
    }

    const node = workload(objects, 'DaemonSet', 'datadog-agent').spec.template.spec;
    assert.ok(!node.hostNetwork && !node.hostPID, 'no host network or PID namespace');
    const hostPaths = new Map((node.volumes ?? []).filter((v) => v.hostPath).map((v) => [v.name, v.hostPath!.path]));
    assert.deepEqual([...hostPaths.values()].sort(), ['/proc', '/sys/fs/cgroup']);
    for (const c of [...node.containers, ...(node.initContainers ?? [])]) {
      assert.ok(!c.securityContext?.privileged, `${c.name} not privileged`);
      assert.equal(c.securityContext?.allowPrivilegeEscalation, false, c.name);
      assert.equal(c.securityContext?.readOnlyRootFilesystem, true, c.name);
      assert.ok(!c.securityContext?.capabilities?.add?.length, `${c.name} adds no capability`);
      for (const m of c.volumeMounts ?? []) if (hostPaths.has(m.name)) assert.equal(m.readOnly, true, `${c.name}: ${m.mountPath} read-only`);
    }
    assert.equal(addon.podSecurity, 'privileged', 'hostPath and hostPorts need the privileged level');
  });

  it('grants what the agents call and no Secrets; nodes/proxy only when asked', async () => {
    for (const { owner, rule } of rules(objects)) {
      assert.ok(!rule.resources?.includes('secrets') && !rule.resources?.includes('*'), `${owner}: no Secrets`);
      assert.ok(!rule.verbs.includes('*'), `${owner}: no wildcard verbs`);
    }
    const kubelet = rules(objects).filter((r) => r.owner === 'ClusterRole/datadog-agent');
    assert.deepEqual(kubelet.flatMap((r) => r.rule.resources).sort(), ['nodes/healthz', 'nodes/metrics', 'nodes/pods', 'nodes/spec', 'nodes/stats']);
    assert.ok(kubelet.every((r) => r.rule.verbs.join() === 'get'));
    const legacy = rules(await renderer.render(addon, { agent: { kubeletNodesProxy: true } }));
    assert.ok(legacy.some((r) => r.owner === 'ClusterRole/datadog-agent' && r.rule.resources?.includes('nodes/proxy')));

    const namespaced = objects.find((o) => o.kind === 'Role' && o.metadata?.name === 'datadog-cluster-agent');
    assert.equal(namespaced?.metadata?.namespace, 'datadog', 'Lease and ConfigMap writes stay in the datadog namespace');
    for (const { owner, rule } of rules(objects))
      if (owner.startsWith('ClusterRole/'))
        assert.deepEqual(
          rule.verbs.filter((v) => !['get', 'list', 'watch'].includes(v)),
          [],
          `${owner}: read-only cluster-wide`,
        );
    const calls = new Map(addon.apiCalls.map((c) => [c.serviceAccount, c]));
    assert.ok(calls.get('datadog-agent')?.cannot?.includes('get nodes --subresource=proxy'));
    assert.ok(calls.get('datadog-cluster-agent')?.can.includes('update leases.coordination.k8s.io/datadog-leader-election -n datadog'));
  });

  it('keeps the immutable fields of 1.0.0 and accepts 1.0.0 values', async () => {
    const before = await renderer.render(old, {});
    for (const w of workloads(before))
      assert.deepEqual(workload(objects, w.kind!, w.metadata!.name!).spec.selector, w.spec.selector, `${w.kind}/${w.metadata?.name} selector`);
    for (const s of before.filter((o) => o.kind === 'Service')) {
      const now = objects.find((o) => o.kind === 'Service' && o.metadata?.name === s.metadata?.name) as { spec: Record<string, unknown> } | undefined;
      assert.ok(now, `Service ${s.metadata?.name} kept`);
      const was = (s as unknown as { spec: Record<string, unknown> }).spec;
      assert.equal(now.spec.type, was.type);
      assert.equal(now.spec.clusterIP, was.clusterIP);
    }
    const oldDefaults = parse(readFileSync(join(old.chartDir, 'values.yaml'), 'utf8')) as Record<string, unknown>;
    const oldEdge = {
      apiKeySecret: { name: 'dd-key', key: 'token' },
      site: 'datadoghq.eu',
      clusterName: 'amsy810',
      env: 'prod',
      clusterAgent: { replicas: 2 },
    };
    for (const values of [oldDefaults, oldEdge]) {
      assert.deepEqual(addon.validateValues(values), [], '1.0.0 values validate against 1.1.0');
      const rendered = await renderer.render(addon, values);
      assert.ok(workloads(rendered).length === 2);
    }
    const edge = await renderer.render(addon, oldEdge);
    assert.match(JSON.stringify(edge), /"secretKeyRef":\{"name":"dd-key","key":"token"\}/);
    assert.equal(env(container(workload(edge, 'DaemonSet', 'datadog-agent'), 'agent'), 'DD_CLUSTER_NAME')?.value, 'amsy810');
    assert.equal((workload(edge, 'Deployment', 'datadog-cluster-agent').spec as unknown as { replicas: number }).replicas, 2);
  });
});
