/**
 * The prometheus bundle (current version) through the real helm and the pinned promtool: each defect
 * of issue 13 has a check here that fails if it comes back. No cluster is needed.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse } from 'yaml';
import type { Addon } from '../../src/catalog/catalog.js';
import type { KubeObject } from '../../src/kube/types.js';
import { HelmRenderer } from '../../src/addons/render.js';
import { ensureBinaries, type Binaries } from '../../src/dev/binaries.js';
import { defaultCatalog } from '../../src/policies/index.js';

const SA = '/var/run/secrets/kubernetes.io/serviceaccount';

/** kube-state-metrics v2.20.0 default collectors (pkg/options/resource.go, DefaultResources) and each one's API group. */
const KSM_DEFAULT_COLLECTORS: Record<string, string> = {
  certificatesigningrequests: 'certificates.k8s.io',
  configmaps: '',
  cronjobs: 'batch',
  daemonsets: 'apps',
  deployments: 'apps',
  endpointslices: 'discovery.k8s.io',
  horizontalpodautoscalers: 'autoscaling',
  ingresses: 'networking.k8s.io',
  jobs: 'batch',
  leases: 'coordination.k8s.io',
  limitranges: '',
  mutatingadmissionpolicies: 'admissionregistration.k8s.io',
  mutatingadmissionpolicybindings: 'admissionregistration.k8s.io',
  mutatingwebhookconfigurations: 'admissionregistration.k8s.io',
  namespaces: '',
  networkpolicies: 'networking.k8s.io',
  nodes: '',
  persistentvolumes: '',
  persistentvolumeclaims: '',
  poddisruptionbudgets: 'policy',
  pods: '',
  replicasets: 'apps',
  replicationcontrollers: '',
  resourcequotas: '',
  secrets: '',
  services: '',
  statefulsets: 'apps',
  storageclasses: 'storage.k8s.io',
  validatingadmissionpolicies: 'admissionregistration.k8s.io',
  validatingadmissionpolicybindings: 'admissionregistration.k8s.io',
  validatingwebhookconfigurations: 'admissionregistration.k8s.io',
  volumeattachments: 'storage.k8s.io',
};
/** Disabled on purpose: listing them needs RBAC that reads every tenant Secret / ConfigMap (values.yaml). */
const KSM_DISABLED = ['configmaps', 'secrets'];

/** Values a test renders with besides the defaults: the ends of what the schema allows. */
const EDGE_VALUES: Array<Record<string, unknown>> = [
  { server: { scrapeInterval: '1s', retention: '1h', kubelet: { insecureSkipVerify: true } } },
  { server: { scrapeInterval: '4m', retention: '10y', storage: { size: '1Ti', storageClassName: 'fast-ssd' } } },
  { server: { scrapeInterval: '299s' } },
];

interface Port {
  name?: string;
  containerPort: number;
  hostPort?: number;
}
interface Probe {
  httpGet?: { path: string; port: number | string };
}
interface Container {
  name: string;
  image: string;
  args?: string[];
  ports?: Port[];
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  startupProbe?: Probe;
  securityContext?: Record<string, unknown> & { capabilities?: { drop?: string[]; add?: string[] } };
  volumeMounts?: Array<{ name: string; mountPath: string; readOnly?: boolean; subPath?: string }>;
}
interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  nodeSelector?: Record<string, string>;
  hostNetwork?: boolean;
  hostPID?: boolean;
  hostIPC?: boolean;
  automountServiceAccountToken?: boolean;
  securityContext?: Record<string, unknown>;
  volumes?: Array<Record<string, unknown> & { name: string }>;
}
interface PodTemplate {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: PodSpec;
}
interface Rule {
  apiGroups?: string[];
  resources?: string[];
  verbs: string[];
  nonResourceURLs?: string[];
}
interface ScrapeConfig {
  job_name: string;
  scheme?: string;
  metrics_path?: string;
  authorization?: { credentials_file?: string; credentials?: string };
  bearer_token_file?: string;
  tls_config?: { ca_file?: string; insecure_skip_verify?: boolean };
  kubernetes_sd_configs?: Array<{ role: string; api_server?: string }>;
  relabel_configs?: Array<{ target_label?: string; replacement?: string }>;
}

function find(objects: KubeObject[], kind: string, name: string): KubeObject {
  const o = objects.find((x) => x.kind === kind && x.metadata?.name === name);
  assert.ok(o, `${kind}/${name} rendered`);
  return o;
}
function templateOf(o: KubeObject): PodTemplate {
  return (o.spec as { template: PodTemplate }).template;
}
function containerOf(o: KubeObject, name: string): Container {
  const c = templateOf(o).spec.containers.find((x) => x.name === name);
  assert.ok(c, `${o.kind}/${o.metadata?.name} has container ${name}`);
  return c;
}
function rulesOf(objects: KubeObject[], name: string): Rule[] {
  return (find(objects, 'ClusterRole', name) as { rules: Rule[] }).rules;
}
function configText(objects: KubeObject[]): string {
  const text = (find(objects, 'ConfigMap', 'prometheus-config').data as Record<string, string>)['prometheus.yml'];
  assert.ok(text, 'prometheus.yml in the ConfigMap');
  return text;
}
function scrapeConfigs(objects: KubeObject[]): ScrapeConfig[] {
  return (parse(configText(objects)) as { scrape_configs: ScrapeConfig[] }).scrape_configs;
}
function workloads(objects: KubeObject[]): KubeObject[] {
  return objects.filter((o) => ['Deployment', 'StatefulSet', 'DaemonSet'].includes(o.kind ?? ''));
}

/** Does one of `rules` allow verb on group/resource[/subresource]? (RBAC semantics, wildcards included.) */
function allows(rules: Rule[], verb: string, group: string, resource: string): boolean {
  return rules.some(
    (r) =>
      (r.verbs.includes(verb) || r.verbs.includes('*')) &&
      (r.apiGroups ?? []).some((g) => g === group || g === '*') &&
      (r.resources ?? []).some((x) => x === resource || x === '*' || (x === `${resource.split('/')[0]}/*` && resource.includes('/'))),
  );
}

/**
 * A `kubectl auth can-i` argument line of addon.yaml's apiCalls as RBAC attributes. kubectl reads
 * "nodes/metrics" as a Node NAMED metrics, so subresources must use --subresource.
 */
function canIAttributes(line: string): { verb: string; group: string; resource: string } | undefined {
  const [verb, target, ...flags] = line.split(/\s+/);
  assert.ok(verb && target, line);
  if (target.startsWith('/')) return undefined; // non-resource URL, granted by the API server's public-info-viewer
  assert.ok(!target.includes('/'), `"${line}": write subresources as --subresource=<name> (kubectl reads a/b as resource a named b)`);
  const dot = target.indexOf('.');
  const resource = dot < 0 ? target : target.slice(0, dot);
  const group = dot < 0 ? '' : target.slice(dot + 1);
  const sub = flags.find((f) => f.startsWith('--subresource='))?.split('=')[1];
  return { verb, group, resource: sub ? `${resource}/${sub}` : resource };
}

/** What Pod Security "restricted" requires of a Pod template (the checks of pod-security-admission, restricted-v1.x). */
function restrictedViolations(spec: PodSpec): string[] {
  const out: string[] = [];
  const pod = spec.securityContext ?? {};
  if (spec.hostNetwork || spec.hostPID || spec.hostIPC) out.push('host namespaces');
  for (const v of spec.volumes ?? []) {
    const types = Object.keys(v).filter((k) => k !== 'name');
    if (!types.every((t) => ['configMap', 'secret', 'emptyDir', 'projected', 'downwardAPI', 'persistentVolumeClaim', 'csi', 'ephemeral'].includes(t)))
      out.push(`volume ${v.name} of type ${types.join(',')}`);
  }
  if ((pod.seccompProfile as { type?: string } | undefined)?.type !== 'RuntimeDefault') out.push('pod seccompProfile RuntimeDefault');
  if (pod.runAsUser === 0) out.push('runAsUser 0');
  for (const c of [...spec.containers, ...(spec.initContainers ?? [])]) {
    const sc = c.securityContext ?? {};
    if (pod.runAsNonRoot !== true && sc.runAsNonRoot !== true) out.push(`${c.name}: runAsNonRoot`);
    if (sc.runAsUser === 0) out.push(`${c.name}: runAsUser 0`);
    if (sc.privileged === true) out.push(`${c.name}: privileged`);
    if (sc.allowPrivilegeEscalation !== false) out.push(`${c.name}: allowPrivilegeEscalation false`);
    if (!sc.capabilities?.drop?.includes('ALL')) out.push(`${c.name}: capabilities drop ALL`);
    if ((sc.capabilities?.add ?? []).some((a) => a !== 'NET_BIND_SERVICE')) out.push(`${c.name}: capabilities add`);
    if ((c.ports ?? []).some((p) => p.hostPort)) out.push(`${c.name}: hostPort`);
  }
  return out;
}

describe('prometheus bundle (real helm, promtool)', () => {
  let bin: Binaries;
  let renderer: HelmRenderer;
  let addon: Addon;
  let dir: string;
  const render = (values: Record<string, unknown> = {}, a: Addon = addon) => renderer.render(a, values);

  /** `promtool check config` on the rendered file as is, written into a temp dir. */
  function promtool(config: string, args: string[]): { status: number | null; out: string } {
    const file = join(mkdtempSync(join(dir, 'cfg-')), 'prometheus.yml');
    writeFileSync(file, config);
    const r = spawnSync(bin.promtool, ['check', 'config', ...args, file], { encoding: 'utf8' });
    return { status: r.status, out: r.stdout + r.stderr };
  }

  /**
   * The full check (file references and the scrape-interval lint, which --syntax-only skips) needs the
   * ServiceAccount files the kubelet mounts in the Pod. They are provided, empty, in a private mount
   * namespace (a tmpfs over /var/run): the config itself is checked unchanged.
   */
  const FULL_CHECK = [
    'set -e',
    'run=$(readlink -f /var/run)',
    'mount -t tmpfs tmpfs "$run"',
    `mkdir -p ${SA}`,
    `: > ${SA}/token`,
    `: > ${SA}/ca.crt`,
    'exec "$0" check config --lint=all --lint-fatal "$1"',
  ].join('\n');
  function promtoolFull(config: string): { status: number | null; out: string } {
    const file = join(mkdtempSync(join(dir, 'full-')), 'prometheus.yml');
    writeFileSync(file, config);
    const r = spawnSync('unshare', ['--mount', '--map-root-user', 'sh', '-c', FULL_CHECK, bin.promtool, file], { encoding: 'utf8' });
    return { status: r.status, out: r.stdout + r.stderr };
  }
  const canUnshare = () => spawnSync('unshare', ['--mount', '--map-root-user', 'true']).status === 0;

  before(
    async () => {
      bin = await ensureBinaries();
      renderer = new HelmRenderer({ helm: bin.helm });
      const found = defaultCatalog().find((a) => a.name === 'prometheus');
      assert.ok(found, 'prometheus in the catalog');
      addon = found;
      dir = mkdtempSync(join(tmpdir(), 'hm-prom-'));
    },
    { timeout: 30 * 60_000 },
  );
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('is 2.0.0 and keeps 1.0.0 for pinned clusters', () => {
    assert.equal(addon.version, '2.0.0');
    assert.deepEqual(
      addon.older.map((o) => o.version),
      ['1.0.0'],
    );
  });

  describe('promtool check config', () => {
    for (const values of [{}, ...EDGE_VALUES]) {
      const label = JSON.stringify(values);
      it(`passes the syntax check with ${label}`, async () => {
        const r = promtool(configText(await render(values)), ['--syntax-only']);
        assert.equal(r.status, 0, r.out);
        assert.match(r.out, /SUCCESS/);
      });
      it(`passes the full check and every lint with ${label}`, async () => {
        assert.ok(canUnshare(), 'the full promtool check needs unshare --mount --map-root-user (root, util-linux)');
        const r = promtoolFull(configText(await render(values)));
        assert.equal(r.status, 0, r.out);
        assert.match(r.out, /SUCCESS/);
        assert.doesNotMatch(r.out, /WARNING|FAILED/);
      });
    }

    it('is a check that can fail (a broken config and a stale-making interval are refused)', async () => {
      const good = configText(await render());
      const dup = good + '  - job_name: prometheus\n    static_configs: [{ targets: ["localhost:9090"] }]\n';
      assert.notEqual(promtool(dup, ['--syntax-only']).status, 0, 'duplicate job name refused');
      assert.ok(canUnshare(), 'the full promtool check needs unshare --mount --map-root-user (root, util-linux)');
      const slow = good.replace(/scrape_interval: 30s/, 'scrape_interval: 5m');
      assert.notEqual(slow, good);
      assert.equal(promtoolFull(slow).status, 3, 'lint: too long scrape interval');
    });

    it('promtool is the same release as the server image', () => {
      // `go install` leaves promtool --version empty; the module version is in the binary's Go build info.
      const bytes = readFileSync(bin.promtool);
      const marker = Buffer.from('mod\tgithub.com/prometheus/prometheus\t');
      const at = bytes.indexOf(marker);
      assert.ok(at >= 0, 'promtool carries Go build info');
      const module = bytes.subarray(at + marker.length, bytes.indexOf('\t', at + marker.length)).toString();
      // The Go module is tagged v0.3MM.P for Prometheus 3.MM.P.
      const m = /^v0\.3(\d\d)\.(\d+)$/.exec(module);
      assert.ok(m, module);
      const version = `3.${Number(m[1])}.${m[2]}`;
      assert.equal(addon.appVersion, version);
      const image = addon.images.find((i) => i.component === 'prometheus');
      assert.equal(image?.version, `v${version}`);
      assert.equal(image.image, `quay.io/prometheus/prometheus:v${version}`);
    });

    it('the schema refuses scrape intervals Prometheus would mark stale', async () => {
      for (const scrapeInterval of ['5m', '300s', '0s', '1h'])
        await assert.rejects(render({ server: { scrapeInterval } }), /helm template failed/, scrapeInterval);
    });
  });

  describe('kubelet scrapes (nodes, cAdvisor, probes)', () => {
    const kubeletJobs: Record<string, string> = {
      'kubernetes-nodes': '/metrics',
      'kubernetes-cadvisor': '/metrics/cadvisor',
      'kubernetes-probes': '/metrics/probes',
    };

    it('go to each kubelet directly over HTTPS with the ServiceAccount token, verified against the cluster CA', async () => {
      const jobs = scrapeConfigs(await render());
      for (const [name, path] of Object.entries(kubeletJobs)) {
        const job = jobs.find((j) => j.job_name === name);
        assert.ok(job, name);
        assert.equal(job.scheme, 'https', name);
        assert.equal(job.metrics_path, path, name);
        assert.equal(job.authorization?.credentials_file, `${SA}/token`, `${name} authenticates as the ServiceAccount`);
        assert.equal(job.tls_config?.ca_file, `${SA}/ca.crt`, `${name} verifies the kubelet against the cluster CA`);
        assert.notEqual(job.tls_config?.insecure_skip_verify, true, `${name} verifies by default`);
        assert.deepEqual(job.kubernetes_sd_configs, [{ role: 'node' }], `${name}: node role, in-cluster API`);
        // The node role's __address__ is <node address>:<kubelet port from status.daemonEndpoints>, i.e. :10250.
        for (const r of job.relabel_configs ?? [])
          assert.ok(
            !['__address__', '__metrics_path__', '__scheme__'].includes(r.target_label ?? ''),
            `${name} keeps the kubelet address: ${JSON.stringify(r)}`,
          );
      }
      const text = configText(await render());
      assert.doesNotMatch(text, /\/proxy|kubernetes\.default\.svc|\/api\/v1\/nodes/, 'nothing goes through the API server proxy');
    });

    it('skip verification only when asked (self-signed kubelet certificates)', async () => {
      const jobs = scrapeConfigs(await render({ server: { kubelet: { insecureSkipVerify: true } } }));
      for (const name of Object.keys(kubeletJobs)) {
        const job = jobs.find((j) => j.job_name === name);
        assert.equal(job?.tls_config?.insecure_skip_verify, true, name);
        assert.equal(job?.authorization?.credentials_file, `${SA}/token`, name);
      }
    });

    it('the ClusterRole grants get nodes/metrics and never nodes/proxy', async () => {
      const rules = rulesOf(await render(), 'prometheus');
      assert.ok(allows(rules, 'get', '', 'nodes/metrics'));
      for (const verb of ['get', 'create', 'list']) assert.ok(!allows(rules, verb, '', 'nodes/proxy'), `${verb} nodes/proxy`);
      assert.ok(!allows(rules, 'get', '', 'secrets') && !allows(rules, 'list', '', 'secrets'), 'no Secrets');
      for (const r of rules) {
        assert.deepEqual(r.nonResourceURLs, undefined, 'no non-resource URLs');
        assert.ok(!r.verbs.includes('*') && !(r.resources ?? []).includes('*') && !(r.apiGroups ?? []).includes('*'), JSON.stringify(r));
        const writes = r.verbs.filter((v) => !['get', 'list', 'watch'].includes(v));
        assert.deepEqual(writes, [], `read-only: ${JSON.stringify(r)}`);
      }
    });

    it("the Pod has the ServiceAccount token the jobs read (it is mounted, the config isn't subPath'd)", async () => {
      const sts = find(await render(), 'StatefulSet', 'prometheus');
      const spec = templateOf(sts).spec;
      assert.notEqual(spec.automountServiceAccountToken, false);
      assert.equal((spec as { serviceAccountName?: string }).serviceAccountName, 'prometheus');
      for (const m of containerOf(sts, 'prometheus').volumeMounts ?? []) assert.equal(m.subPath, undefined, m.name);
    });
  });

  describe('lifecycle API and config changes', () => {
    it('has no lifecycle or admin HTTP API', async () => {
      for (const values of [{}, ...EDGE_VALUES]) {
        const c = containerOf(find(await render(values), 'StatefulSet', 'prometheus'), 'prometheus');
        for (const a of c.args ?? []) assert.doesNotMatch(a, /^--web\.enable-(lifecycle|admin-api)/, a);
      }
    });

    const checksum = async (values: Record<string, unknown>) => {
      const objects = await render(values);
      const sum = templateOf(find(objects, 'StatefulSet', 'prometheus')).metadata?.annotations?.['checksum/prometheus-config'];
      assert.match(sum ?? '', /^[a-f0-9]{64}$/, 'checksum/prometheus-config on the Pod template');
      return { sum, config: configText(objects) };
    };

    it('a values change that alters the config changes the Pod template (new controller revision)', async () => {
      const a = await checksum({ server: { scrapeInterval: '30s' } });
      const b = await checksum({ server: { scrapeInterval: '60s' } });
      assert.match(b.config, /scrape_interval: 60s/);
      assert.notEqual(a.config, b.config);
      assert.notEqual(a.sum, b.sum);
      const c = await checksum({ server: { kubelet: { insecureSkipVerify: true } } });
      assert.notEqual(a.sum, c.sum);
    });

    it('the checksum is stable when the config is not changed', async () => {
      const a = await checksum({});
      assert.equal((await checksum({})).sum, a.sum);
      // retention is a flag, not config: the Pod template changes through args, the checksum stays.
      assert.equal((await checksum({ server: { retention: '30d' } })).sum, a.sum);
    });
  });

  describe('kube-state-metrics', () => {
    const enabledOf = (objects: KubeObject[]) => {
      const arg = containerOf(find(objects, 'Deployment', 'kube-state-metrics'), 'kube-state-metrics').args?.find((a) => a.startsWith('--resources='));
      assert.ok(arg, '--resources set explicitly (the default list includes secrets)');
      return arg.slice('--resources='.length).split(',');
    };

    it('enables the v2.20.0 default collectors except secrets and configmaps', async () => {
      const enabled = enabledOf(await render());
      const expected = Object.keys(KSM_DEFAULT_COLLECTORS).filter((r) => !KSM_DISABLED.includes(r));
      assert.deepEqual([...enabled].sort(), expected.sort());
      const image = addon.images.find((i) => i.component === 'kube-state-metrics');
      assert.equal(image?.version, 'v2.20.0', 'the default list above is that of the pinned release: re-read it on a bump');
    });

    it('its ClusterRole covers every enabled collector with list and watch, and nothing else', async () => {
      const objects = await render();
      const rules = rulesOf(objects, 'kube-state-metrics');
      const enabled = enabledOf(objects);
      for (const r of enabled) {
        const group = KSM_DEFAULT_COLLECTORS[r];
        assert.ok(group !== undefined, `${r} is a known collector`);
        for (const verb of ['list', 'watch']) assert.ok(allows(rules, verb, group, r), `${verb} ${r} in group "${group}"`);
      }
      for (const rule of rules) {
        assert.deepEqual([...rule.verbs].sort(), ['list', 'watch'], JSON.stringify(rule));
        assert.equal(rule.nonResourceURLs, undefined);
        for (const g of rule.apiGroups ?? [])
          for (const r of rule.resources ?? [])
            assert.ok(enabled.includes(r) && KSM_DEFAULT_COLLECTORS[r] === g, `grants only what a collector needs: ${g}/${r}`);
      }
      for (const r of KSM_DISABLED) assert.ok(!allows(rules, 'list', '', r) && !allows(rules, 'get', '', r), r);
    });
  });

  describe('addon.yaml apiCalls agree with the rendered RBAC', () => {
    for (const [sa, role] of [
      ['prometheus', 'prometheus'],
      ['kube-state-metrics', 'kube-state-metrics'],
    ] as const) {
      it(`${sa}: every "can" is granted, every "cannot" is not`, async () => {
        const rules = rulesOf(await render(), role);
        const calls = addon.apiCalls.find((c) => c.serviceAccount === sa);
        assert.ok(calls, `apiCalls for ${sa}`);
        assert.ok(calls.can.length > 0);
        for (const line of calls.can) {
          const a = canIAttributes(line);
          if (a) assert.ok(allows(rules, a.verb, a.group, a.resource), `can ${line}`);
        }
        for (const line of calls.cannot ?? []) {
          const a = canIAttributes(line);
          if (a) assert.ok(!allows(rules, a.verb, a.group, a.resource), `cannot ${line}`);
        }
      });
    }

    it('prometheus lists the kubelet call, node-exporter calls nothing and has no token', async () => {
      const prom = addon.apiCalls.find((c) => c.serviceAccount === 'prometheus');
      assert.ok(prom?.can.includes('get nodes --subresource=metrics'));
      assert.ok(prom?.cannot?.includes('get nodes --subresource=proxy'));
      const ne = addon.apiCalls.find((c) => c.serviceAccount === 'node-exporter');
      assert.deepEqual(ne?.can, []);
      assert.ok((ne.cannot ?? []).length > 0);
      const objects = await render();
      const ds = find(objects, 'DaemonSet', 'node-exporter');
      assert.equal((templateOf(ds).spec as { serviceAccountName?: string }).serviceAccountName, 'node-exporter');
      assert.equal(templateOf(ds).spec.automountServiceAccountToken, false);
      assert.ok(!objects.some((o) => (o.kind === 'ClusterRoleBinding' || o.kind === 'RoleBinding') && JSON.stringify(o.subjects).includes('"node-exporter"')));
    });
  });

  describe('upgrade from 1.0.0', () => {
    for (const values of [{}, EDGE_VALUES[1] ?? {}]) {
      it(`changes nothing immutable with ${JSON.stringify(values)}`, async () => {
        const [older] = addon.older;
        assert.ok(older);
        const [now, before] = [await render(values), await render(values, older)];
        for (const kind of ['StatefulSet', 'DaemonSet', 'Deployment', 'Service']) {
          for (const o of before.filter((x) => x.kind === kind)) {
            const n = find(now, kind, o.metadata?.name ?? '');
            const [ns, os] = [n.spec as Record<string, unknown>, o.spec as Record<string, unknown>];
            if (kind === 'Service') {
              assert.equal(ns.clusterIP, os.clusterIP, `${kind}/${o.metadata?.name} clusterIP`);
              assert.equal(ns.type, os.type, `${kind}/${o.metadata?.name} type`);
              continue;
            }
            assert.deepEqual(ns.selector, os.selector, `${kind}/${o.metadata?.name} selector`);
            if (kind !== 'StatefulSet') continue;
            assert.equal(ns.serviceName, os.serviceName);
            assert.equal(ns.podManagementPolicy, os.podManagementPolicy);
            const claims = (s: Record<string, unknown>) =>
              s.volumeClaimTemplates as Array<{ metadata: { name: string; labels?: Record<string, string> }; spec: unknown }>;
            assert.deepEqual(
              claims(ns).map((c) => [c.metadata.name, c.spec]),
              claims(os).map((c) => [c.metadata.name, c.spec]),
              'claim templates: same names and specs',
            );
          }
        }
      });
    }

    it('claim templates and selectors carry no label that changes with the bundle version', async () => {
      const objects = await render();
      const sts = find(objects, 'StatefulSet', 'prometheus');
      for (const c of (sts.spec as { volumeClaimTemplates: Array<{ metadata: { labels?: Record<string, string> } }> }).volumeClaimTemplates)
        assert.deepEqual(c.metadata.labels ?? {}, { 'app.kubernetes.io/part-of': 'prometheus' });
      for (const w of workloads(objects)) {
        assert.doesNotMatch(JSON.stringify((w.spec as { selector: unknown }).selector), /helm\.sh|version/);
        assert.doesNotMatch(JSON.stringify(templateOf(w).metadata?.labels), /helm\.sh|version/);
      }
    });
  });

  describe('Pods', () => {
    it('run on Linux nodes only, with resources, images as addon.yaml lists them', async () => {
      for (const values of [{}, ...EDGE_VALUES]) {
        const objects = await render(values);
        assert.equal(workloads(objects).length, 3);
        for (const w of workloads(objects)) {
          const spec = templateOf(w).spec;
          assert.deepEqual(spec.nodeSelector, { 'kubernetes.io/os': 'linux' }, `${w.kind}/${w.metadata?.name}`);
          for (const c of spec.containers) {
            const pin = addon.images.find((i) => i.image === c.image);
            assert.ok(pin, `${c.image} listed in addon.yaml`);
            assert.ok(c.image.endsWith(`:${pin.version}`), `${c.image} is ${pin.version}`);
            const res = (c as { resources?: { requests?: Record<string, string>; limits?: Record<string, string> } }).resources;
            assert.ok(res?.requests?.cpu && res.requests.memory && res.limits?.cpu && res.limits.memory, `${c.name} resources`);
          }
        }
      }
    });

    it('server and kube-state-metrics meet Pod Security restricted on their own', async () => {
      const objects = await render();
      for (const [kind, name] of [
        ['StatefulSet', 'prometheus'],
        ['Deployment', 'kube-state-metrics'],
      ] as const)
        assert.deepEqual(restrictedViolations(templateOf(find(objects, kind, name)).spec), [], `${kind}/${name}`);
    });

    it('node-exporter takes only the host access it needs; the namespace is privileged because of it', async () => {
      assert.equal(addon.podSecurity, 'privileged');
      const spec = templateOf(find(await render(), 'DaemonSet', 'node-exporter')).spec;
      const violations = restrictedViolations(spec);
      assert.ok(violations.length > 0, 'it does need more than restricted (else podSecurity could be lower)');
      assert.deepEqual(
        violations.filter((v) => !/^(host namespaces|volume (proc|sys|root) of type hostPath|node-exporter: hostPort)$/.test(v)),
        [],
        'beyond host network/PID, hostPort and the three host mounts, it is restricted',
      );
      const c = spec.containers[0];
      assert.ok(c);
      for (const m of c.volumeMounts ?? []) assert.equal(m.readOnly, true, `${m.name} read-only`);
      assert.equal(spec.hostIPC, undefined);
      assert.equal(c.securityContext?.readOnlyRootFilesystem, true);
    });

    it('probes hit ports the containers declare and listen on', async () => {
      const objects = await render();
      const listen: Record<string, { arg: string; port: number }> = {
        prometheus: { arg: '--web.listen-address=:9090', port: 9090 },
        'node-exporter': { arg: '--web.listen-address=:9100', port: 9100 },
        'kube-state-metrics': { arg: '--port=8080', port: 8080 },
      };
      for (const w of workloads(objects)) {
        for (const c of templateOf(w).spec.containers) {
          const l = listen[c.name];
          assert.ok(l, c.name);
          assert.ok(c.args?.includes(l.arg), `${c.name} listens where it says: ${l.arg}`);
          assert.ok(c.ports?.some((p) => p.containerPort === l.port));
          if (c.name === 'kube-state-metrics') assert.ok(c.args?.includes('--telemetry-port=8081') && c.ports?.some((p) => p.containerPort === 8081));
          for (const probe of [c.readinessProbe, c.livenessProbe, c.startupProbe]) {
            if (!probe) continue;
            const port = probe.httpGet?.port;
            assert.ok(
              c.ports?.some((p) => p.name === port || p.containerPort === port),
              `${c.name}: probe port ${String(port)} is declared`,
            );
          }
          assert.ok(c.readinessProbe, `${c.name} has a readiness probe`);
        }
      }
    });
  });
});
