/**
 * The efk bundle's own facts, rendered with the real helm: index lifecycle for every index fluentd writes,
 * security on with credentials only from the manager's generated Secrets, NetworkPolicies, the fluent-bit
 * sidecar sending to fluentd (not Elasticsearch), config that rolls, heap from the memory limit, and
 * vm.max_map_count / cluster formation for more than one node.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import type { KubeObject } from '../../src/kube/types.js';
import type { Addon } from '../../src/catalog/catalog.js';
import { HelmRenderer } from '../../src/addons/render.js';
import { ensureBinaries } from '../../src/dev/binaries.js';
import { defaultCatalog } from '../../src/policies/index.js';

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string }; fieldRef?: unknown };
}
interface Container {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  env?: EnvVar[];
  ports?: Array<{ name?: string; containerPort: number; protocol?: string }>;
  volumeMounts?: Array<{ name: string; mountPath: string; subPath?: string; readOnly?: boolean }>;
  securityContext?: Record<string, unknown>;
}
interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  volumes?: Array<{ name: string; configMap?: { name: string }; secret?: unknown; hostPath?: unknown }>;
  nodeSelector?: Record<string, string>;
  tolerations?: Array<Record<string, string>>;
  securityContext?: Record<string, unknown>;
  automountServiceAccountToken?: boolean;
  serviceAccountName?: string;
}
interface PodTemplate {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: PodSpec;
}
interface NetworkPolicyRule {
  from?: Array<{ podSelector?: { matchLabels?: Record<string, string> }; namespaceSelector?: { matchLabels?: Record<string, string> } }>;
  ports?: Array<{ port: number; protocol: string }>;
}
interface NetworkPolicySpec {
  podSelector: { matchLabels: Record<string, string> };
  policyTypes: string[];
  ingress?: NetworkPolicyRule[];
}

const WORKLOADS = new Set(['Deployment', 'StatefulSet', 'DaemonSet']);
const find = (objects: KubeObject[], kind: string, name: string): KubeObject => {
  const o = objects.find((x) => x.kind === kind && x.metadata?.name === name);
  assert.ok(o, `${kind}/${name} rendered`);
  return o;
};
const templateOf = (o: KubeObject): PodTemplate => (o.spec as { template: PodTemplate }).template;
const allContainers = (t: PodTemplate): Container[] => [...(t.spec.initContainers ?? []), ...t.spec.containers];
const container = (objects: KubeObject[], kind: string, name: string, c: string): Container => {
  const found = allContainers(templateOf(find(objects, kind, name))).find((x) => x.name === c);
  assert.ok(found, `${kind}/${name} has container ${c}`);
  return found;
};
const envOf = (c: Container, name: string): EnvVar | undefined => c.env?.find((e) => e.name === name);
const configData = (objects: KubeObject[], name: string): Record<string, string> => (find(objects, 'ConfigMap', name) as { data: Record<string, string> }).data;
const policySpec = (objects: KubeObject[], name: string): NetworkPolicySpec => find(objects, 'NetworkPolicy', name).spec as NetworkPolicySpec;
const matches = (selector: Record<string, string>, labels: Record<string, string> | undefined): boolean =>
  Object.entries(selector).every(([k, v]) => labels?.[k] === v);
/** One transport certificate Secret name, so that more than one node may render. */
const multiNode = (extra: Record<string, unknown> = {}) => ({ elasticsearch: { replicas: 3, transportTLS: { secretName: 'es-transport' }, ...extra } });

describe('efk bundle (real helm)', () => {
  let renderer: HelmRenderer;
  let efk: Addon;
  let defaults: KubeObject[];
  const render = (values: Record<string, unknown>) => renderer.render(efk, values);

  before(
    async () => {
      const bin = await ensureBinaries();
      renderer = new HelmRenderer({ helm: bin.helm });
      const found = defaultCatalog().find((a) => a.name === 'efk');
      assert.ok(found);
      efk = found;
      defaults = await render({});
    },
    { timeout: 30 * 60_000 },
  );

  it('is version 2.0.0 on Elasticsearch and Kibana of the same pinned release, listed in addon.yaml', () => {
    assert.equal(efk.version, '2.0.0');
    const es = container(defaults, 'StatefulSet', 'elasticsearch', 'elasticsearch').image;
    const kibana = container(defaults, 'Deployment', 'kibana', 'kibana').image;
    assert.equal(es.split(':')[1], kibana.split(':')[1]);
    assert.equal(efk.appVersion, es.split(':')[1]);
    const listed = new Set(efk.images.map((i) => i.image));
    for (const o of defaults.filter((x) => WORKLOADS.has(String(x.kind))))
      for (const c of allContainers(templateOf(o))) assert.ok(listed.has(c.image), `${c.image} listed in addon.yaml images`);
  });

  describe('index lifecycle', () => {
    /** Index prefixes of every Elasticsearch output in fluent.conf (every output must be a daily logstash index). */
    const writtenPrefixes = (objects: KubeObject[]): string[] => {
      const conf = configData(objects, 'fluentd-config')['fluent.conf'] ?? '';
      const outputs = conf.match(/@type elasticsearch\b/g)?.length ?? 0;
      const prefixes = [...conf.matchAll(/^\s*logstash_prefix\s+(\S+)\s*$/gm)].map((m) => m[1] ?? '');
      assert.ok(outputs > 0, 'fluentd writes to Elasticsearch');
      assert.equal(prefixes.length, outputs, 'every Elasticsearch output names its index prefix');
      assert.equal((conf.match(/^\s*logstash_format\s+true\s*$/gm) ?? []).length, outputs, 'every output writes daily indices');
      assert.doesNotMatch(conf, /^\s*(index_name|target_index_key|data_stream_name)\b/m, 'no output writes anywhere else');
      return prefixes;
    };

    it('an ILM policy and an index template cover every index fluentd writes (container logs and sidecar logs)', () => {
      const prefixes = writtenPrefixes(defaults);
      assert.deepEqual([...prefixes].sort(), ['app', 'logs']);
      const setup = configData(defaults, 'elasticsearch-setup');
      const template = JSON.parse(setup['index-template.json'] ?? '') as { index_patterns: string[]; template: { settings: Record<string, string> } };
      const policyName = template.template.settings['index.lifecycle.name'];
      assert.ok(policyName);
      for (const p of prefixes) assert.ok(template.index_patterns.includes(`${p}-*`), `index template covers ${p}-*`);
      // The setup script installs exactly that policy and template, and attaches the policy to existing indices too.
      const script = setup['setup.sh'] ?? '';
      assert.match(script, new RegExp(`PUT '/_ilm/policy/${policyName}' "\\$here/ilm-policy.json"`));
      assert.match(script, /PUT '\/_index_template\/[a-z-]+' "\$here\/index-template.json"/);
      const existing = /PUT '\/([^/']+)\/_settings[^']*' "\$here\/index-settings.json"/.exec(script)?.[1]?.split(',') ?? [];
      for (const p of prefixes) assert.ok(existing.includes(`${p}-*`), `existing ${p}-* indices get the policy`);
      assert.equal((JSON.parse(setup['index-settings.json'] ?? '') as Record<string, string>)['index.lifecycle.name'], policyName);
      // fluentd's role may write exactly these patterns, append-only.
      const role = JSON.parse(setup['role-log-writer.json'] ?? '') as { indices: Array<{ names: string[]; privileges: string[] }> };
      assert.deepEqual([...(role.indices[0]?.names ?? [])].sort(), prefixes.map((p) => `${p}-*`).sort());
      assert.deepEqual(role.indices[0]?.privileges, ['create_doc', 'auto_configure']);
    });

    it('deletes indices after retention.days (default 7), following the value', async () => {
      const minAge = (objects: KubeObject[]) =>
        (
          JSON.parse(configData(objects, 'elasticsearch-setup')['ilm-policy.json'] ?? '') as {
            policy: { phases: { delete: { min_age: string; actions: object } } };
          }
        ).policy.phases.delete;
      assert.deepEqual(minAge(defaults), { min_age: '8d', actions: { delete: {} } });
      assert.equal(minAge(await render({ retention: { days: 30 } })).min_age, '31d');
      await assert.rejects(render({ retention: { days: 0 } }), /helm template failed/);
    });

    it('the setup runs before Kibana, from the ConfigMap, as an init container of the Kibana Pod', () => {
      const kibana = templateOf(find(defaults, 'Deployment', 'kibana'));
      const setup = kibana.spec.initContainers?.find((c) => c.name === 'elasticsearch-setup');
      assert.ok(setup);
      assert.deepEqual(setup.command, ['sh', '/setup/setup.sh']);
      const mount = setup.volumeMounts?.find((m) => m.mountPath === '/setup');
      assert.equal(kibana.spec.volumes?.find((v) => v.name === mount?.name)?.configMap?.name, 'elasticsearch-setup');
    });

    it('fluentd buffers are bounded and drop the oldest chunk instead of blocking', () => {
      const conf = configData(defaults, 'fluentd-config')['fluent.conf'] ?? '';
      const buffers = conf.match(/<buffer>[\s\S]*?<\/buffer>/g) ?? [];
      assert.equal(buffers.length, writtenPrefixes(defaults).length);
      for (const b of buffers) {
        assert.match(b, /total_limit_size 2g/);
        assert.match(b, /overflow_action drop_oldest_chunk/);
      }
      assert.doesNotMatch(conf, /overflow_action block/);
    });
  });

  describe('security', () => {
    it('Elasticsearch runs with security enabled', () => {
      const es = container(defaults, 'StatefulSet', 'elasticsearch', 'elasticsearch');
      assert.equal(envOf(es, 'xpack.security.enabled')?.value, 'true');
      assert.equal(envOf(es, 'xpack.security.autoconfiguration.enabled')?.value, 'false');
    });

    it('every credential comes by secretKeyRef from a Secret declared in generatedSecrets; none is a literal', () => {
      const generated = new Map(efk.generatedSecrets.map((s) => [s.name, new Set(s.keys)]));
      assert.deepEqual([...(generated.get('elasticsearch-credentials') ?? [])].sort(), ['elastic', 'fluentd', 'kibana_system']);
      assert.ok(!defaults.some((o) => o.kind === 'Secret'), 'the chart never carries a Secret');
      let refs = 0;
      for (const o of defaults.filter((x) => WORKLOADS.has(String(x.kind))))
        for (const c of allContainers(templateOf(o)))
          for (const e of c.env ?? []) {
            const ref = e.valueFrom?.secretKeyRef;
            if (ref) {
              refs++;
              assert.ok(generated.get(ref.name)?.has(ref.key), `${o.metadata?.name}/${c.name} ${e.name}: ${ref.name}/${ref.key} is generated by the manager`);
            }
            if (/PASSWORD|ENCRYPTIONKEY|TOKEN|SECRET/i.test(e.name)) assert.ok(ref, `${c.name} ${e.name} comes from a Secret`);
          }
      assert.ok(refs >= 8, `${refs} secretKeyRefs`);
      const ref = (kind: string, name: string, c: string, env: string) => envOf(container(defaults, kind, name, c), env)?.valueFrom?.secretKeyRef;
      assert.deepEqual(ref('StatefulSet', 'elasticsearch', 'elasticsearch', 'ELASTIC_PASSWORD'), { name: 'elasticsearch-credentials', key: 'elastic' });
      assert.deepEqual(ref('DaemonSet', 'fluentd', 'fluentd', 'FLUENTD_ES_PASSWORD'), { name: 'elasticsearch-credentials', key: 'fluentd' });
      // Kibana runs as kibana_system, never as the elastic superuser (Kibana 8 refuses it).
      const kibana = container(defaults, 'Deployment', 'kibana', 'kibana');
      assert.equal(envOf(kibana, 'ELASTICSEARCH_USERNAME')?.value, 'kibana_system');
      assert.deepEqual(envOf(kibana, 'ELASTICSEARCH_PASSWORD')?.valueFrom?.secretKeyRef, { name: 'elasticsearch-credentials', key: 'kibana_system' });
      assert.equal(envOf(kibana, 'ELASTIC_PASSWORD'), undefined, 'the superuser password stays in the setup init container');
      // fluentd authenticates as its own user, password from env (the Secret).
      const conf = configData(defaults, 'fluentd-config')['fluent.conf'] ?? '';
      const outputs = conf.match(/@type elasticsearch\b/g)?.length ?? 0;
      assert.equal(conf.match(/^\s*user fluentd$/gm)?.length, outputs);
      assert.equal(conf.match(/^\s*password "#\{ENV\['FLUENTD_ES_PASSWORD'\]\}"$/gm)?.length, outputs);
    });

    it('the setup script takes its passwords from env only and keeps them off command lines', () => {
      const script = configData(defaults, 'elasticsearch-setup')['setup.sh'] ?? '';
      assert.doesNotMatch(script, /\{\{|-u\s|--user\s/);
      assert.match(script, /printf 'user = "elastic:%s"\\n' "\$ELASTIC_PASSWORD" > "\$work\/curlrc"/);
      assert.match(script, /\/_security\/user\/kibana_system\/_password/);
      assert.match(script, /\/_security\/user\/fluentd'/);
      // Passwords are checked against the charset the JSON bodies and curl config can carry unescaped.
      assert.match(script, /\*\[!A-Za-z0-9\]\*/);
    });

    describe('the setup script, run with sh and curl against a stand-in for the Elasticsearch API', () => {
      interface Seen {
        method: string;
        url: string;
        auth: string;
        body: string;
      }
      const passwords = {
        ELASTIC_PASSWORD: 'e'.repeat(8) + 'A1b2C3d4E5f6G7h8',
        KIBANA_SYSTEM_PASSWORD: 'K1bana' + 'x'.repeat(26),
        FLUENTD_PASSWORD: 'F1uentd' + 'y'.repeat(25),
      };
      /** Runs setup.sh from the rendered ConfigMap; `answer` gives the status of each request. */
      const runSetup = async (answer: (r: Seen, n: number) => number, env: Record<string, string> = passwords) => {
        const dir = mkdtempSync(join(tmpdir(), 'efk-setup-'));
        for (const [file, text] of Object.entries(configData(defaults, 'elasticsearch-setup'))) writeFileSync(join(dir, file), text);
        const seen: Seen[] = [];
        const body = (req: IncomingMessage) =>
          new Promise<string>((resolve) => {
            let b = '';
            req.on('data', (d: Buffer) => (b += d.toString()));
            req.on('end', () => resolve(b));
          });
        const server = createServer((req, res) => {
          void body(req).then((b) => {
            const r = { method: req.method ?? '', url: req.url ?? '', auth: req.headers.authorization ?? '', body: b };
            seen.push(r);
            res.writeHead(answer(r, seen.length), { 'content-type': 'application/json' }).end('{"acknowledged":true}');
          });
        });
        await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
        const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
        try {
          const out = await new Promise<{ code: number | null; output: string }>((resolve) => {
            const child = spawn('sh', [join(dir, 'setup.sh')], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ES_URL: url, ...env } });
            let output = '';
            child.stdout.on('data', (d: Buffer) => (output += d.toString()));
            child.stderr.on('data', (d: Buffer) => (output += d.toString()));
            child.on('close', (code) => resolve({ code, output }));
          });
          return { ...out, seen };
        } finally {
          server.close();
          rmSync(dir, { recursive: true, force: true });
        }
      };
      const haveTools = spawnSync('sh', ['-c', 'command -v curl'], { encoding: 'utf8' }).status === 0;

      it(
        'waits for the cluster, then installs policy, template, existing-index settings, role, fluentd user, kibana_system password',
        { skip: !haveTools && 'no curl here' },
        async () => {
          const r = await runSetup((req, n) => (req.url.startsWith('/_cluster/health') && n === 1 ? 503 : 200));
          assert.equal(r.code, 0, r.output);
          assert.deepEqual(
            r.seen.map((s) => `${s.method} ${s.url}`),
            [
              'GET /_cluster/health?wait_for_status=yellow&timeout=10s',
              'GET /_cluster/health?wait_for_status=yellow&timeout=10s',
              'PUT /_ilm/policy/harbormaster-logs',
              'PUT /_index_template/harbormaster-logs',
              'PUT /logs-*,app-*/_settings?allow_no_indices=true',
              'PUT /_security/role/harbormaster_log_writer',
              'PUT /_security/user/fluentd',
              'POST /_security/user/kibana_system/_password',
            ],
          );
          const basic = `Basic ${Buffer.from(`elastic:${passwords.ELASTIC_PASSWORD}`).toString('base64')}`;
          for (const s of r.seen) assert.equal(s.auth, basic, `${s.url} as the elastic user`);
          const setup = configData(defaults, 'elasticsearch-setup');
          assert.deepEqual(JSON.parse(r.seen[2]?.body ?? ''), JSON.parse(setup['ilm-policy.json'] ?? ''));
          assert.deepEqual(JSON.parse(r.seen[3]?.body ?? ''), JSON.parse(setup['index-template.json'] ?? ''));
          assert.deepEqual(JSON.parse(r.seen[6]?.body ?? ''), {
            password: passwords.FLUENTD_PASSWORD,
            roles: ['harbormaster_log_writer'],
            full_name: 'fluentd (Harbormaster EFK)',
          });
          assert.deepEqual(JSON.parse(r.seen[7]?.body ?? ''), { password: passwords.KIBANA_SYSTEM_PASSWORD });
          for (const p of Object.values(passwords)) assert.ok(!r.output.includes(p), 'no password in the output');
        },
      );

      it(
        'stops with a message, and without printing secrets, when a step is refused or the Secret holds other characters',
        { skip: !haveTools && 'no curl here' },
        async () => {
          const refused = await runSetup((req) => (req.url.startsWith('/_security/user/fluentd') ? 400 : 200));
          assert.notEqual(refused.code, 0);
          assert.match(refused.output, /user fluentd: HTTP 400/);
          assert.ok(!refused.seen.some((s) => s.url.includes('kibana_system')), 'nothing after the refused step');
          for (const p of Object.values(passwords)) assert.ok(!refused.output.includes(p));
          const wrong = await runSetup((req) => (req.url.startsWith('/_cluster/health') ? 401 : 200));
          assert.notEqual(wrong.code, 0);
          assert.match(wrong.output, /refuses the elastic password/);
          assert.equal(wrong.seen.length, 1);
          const quote = await runSetup(() => 200, { ...passwords, FLUENTD_PASSWORD: 'a"b' + 'c'.repeat(20) });
          assert.notEqual(quote.code, 0);
          assert.match(quote.output, /letters and digits only/);
          assert.equal(quote.seen.length, 0, 'checked before any request');
        },
      );
    });

    it('NetworkPolicies: Elasticsearch :9200 only from fluentd and Kibana, :9300 only from itself; Kibana closed; fluentd forward open', () => {
      const labelsOf = (kind: string, name: string) => templateOf(find(defaults, kind, name)).metadata?.labels;
      const es = policySpec(defaults, 'elasticsearch');
      assert.ok(matches(es.podSelector.matchLabels, labelsOf('StatefulSet', 'elasticsearch')));
      assert.deepEqual(es.policyTypes, ['Ingress']);
      const byPort = new Map((es.ingress ?? []).map((r) => [r.ports?.map((p) => p.port).join(','), r]));
      assert.equal(byPort.size, 2);
      for (const r of es.ingress ?? []) assert.ok(r.from && r.from.length > 0, 'no Elasticsearch rule is open to everyone');
      const sources = (r: NetworkPolicyRule | undefined) => (r?.from ?? []).map((f) => f.podSelector?.matchLabels ?? {});
      const api = sources(byPort.get('9200'));
      assert.equal(api.length, 2);
      for (const f of api) assert.equal(Object.keys(f).length, 1, 'one label per source');
      assert.ok(api.some((s) => matches(s, labelsOf('DaemonSet', 'fluentd'))));
      assert.ok(api.some((s) => matches(s, labelsOf('Deployment', 'kibana'))));
      assert.ok(!api.some((s) => matches(s, labelsOf('StatefulSet', 'elasticsearch'))));
      assert.ok(
        byPort.get('9200')?.from?.every((f) => f.namespaceSelector === undefined),
        'same namespace only',
      );
      const transport = sources(byPort.get('9300'));
      assert.deepEqual(transport, [es.podSelector.matchLabels]);

      const kibana = policySpec(defaults, 'kibana');
      assert.ok(matches(kibana.podSelector.matchLabels, labelsOf('Deployment', 'kibana')));
      assert.deepEqual(kibana.policyTypes, ['Ingress']);
      assert.deepEqual(kibana.ingress, []);

      const fluentd = policySpec(defaults, 'fluentd');
      assert.ok(matches(fluentd.podSelector.matchLabels, labelsOf('DaemonSet', 'fluentd')));
      assert.deepEqual(fluentd.ingress, [{ ports: [{ port: 24224, protocol: 'TCP' }] }]);

      // Every Pod of the bundle is selected by an ingress policy.
      for (const o of defaults.filter((x) => WORKLOADS.has(String(x.kind))))
        assert.ok(
          defaults.some((p) => p.kind === 'NetworkPolicy' && matches((p.spec as NetworkPolicySpec).podSelector.matchLabels, templateOf(o).metadata?.labels)),
          `${o.kind}/${o.metadata?.name} is covered by a NetworkPolicy`,
        );
    });

    it('Kibana opens to the namespaces of the allow-list only', async () => {
      const kibana = policySpec(await render({ kibana: { allowFromNamespaces: ['ingress-nginx'] } }), 'kibana');
      assert.deepEqual(kibana.ingress, [
        { from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } } }], ports: [{ port: 5601, protocol: 'TCP' }] },
      ]);
      await assert.rejects(render({ kibana: { allowFromNamespaces: ['Not A Namespace'] } }), /helm template failed/);
    });

    it('Elasticsearch and Kibana ServiceAccounts carry no token; fluentd may only read pods and namespaces', () => {
      for (const [kind, name] of [
        ['StatefulSet', 'elasticsearch'],
        ['Deployment', 'kibana'],
      ] as const) {
        const spec = templateOf(find(defaults, kind, name)).spec;
        assert.equal(spec.serviceAccountName, name);
        assert.equal(spec.automountServiceAccountToken, false);
        assert.equal((find(defaults, 'ServiceAccount', name) as { automountServiceAccountToken?: boolean }).automountServiceAccountToken, false);
        const calls = efk.apiCalls.find((a) => a.serviceAccount === name);
        assert.deepEqual(calls?.can, []);
        assert.ok(calls?.cannot?.includes('get secrets -n logging'));
      }
      const rules = (find(defaults, 'ClusterRole', 'fluentd') as { rules: unknown[] }).rules;
      assert.deepEqual(rules, [{ apiGroups: [''], resources: ['pods', 'namespaces'], verbs: ['get', 'list', 'watch'] }]);
      assert.ok(!defaults.some((o) => o.kind === 'Role' || (o.kind === 'ClusterRole' && o.metadata?.name !== 'fluentd')));
      const fluentd = efk.apiCalls.find((a) => a.serviceAccount === 'fluentd');
      for (const call of ['list pods -A', 'watch pods -A', 'get namespaces', 'watch namespaces']) assert.ok(fluentd?.can.includes(call), call);
      assert.ok(fluentd?.cannot?.includes('get secrets -A'));
    });
  });

  describe('fluent-bit sidecar', () => {
    it('sends to fluentd with the forward protocol, never to Elasticsearch, with static arguments', () => {
      const side = efk.sidecars.find((s) => s.name === 'fluent-bit');
      assert.ok(side?.container);
      const args = side.container.args ?? [];
      const at = args.indexOf('-o');
      assert.equal(args[at + 1], 'forward');
      assert.ok(args.includes('host=fluentd.logging.svc'));
      assert.ok(args.includes('port=24224'));
      assert.doesNotMatch(args.join(' '), /elasticsearch|9200|\bes\b|Logstash|\$\{|\$\(/i);
      // Name, shared volume and resources as in 1.0.0.
      const before = efk.older[0]?.sidecars.find((s) => s.name === 'fluent-bit');
      assert.deepEqual(side.sharedVolume, before?.sharedVolume);
      assert.deepEqual(side.container.resources, before?.container?.resources);
      assert.match(side.container.image, /^cr\.fluentbit\.io\/fluent\/fluent-bit:\d+\.\d+\.\d+$/);
      assert.ok(efk.images.some((i) => i.image === side.container?.image));
    });

    it('fluentd listens for it: forward input on 24224, a Service, its own route into the sidecar indices', () => {
      const conf = configData(defaults, 'fluentd-config')['fluent.conf'] ?? '';
      const source = /<source>\s*@type forward[\s\S]*?<\/source>/.exec(conf)?.[0] ?? '';
      assert.match(source, /^\s*port 24224$/m);
      // Tenant input: a fixed tag and a label of its own; the record's time is fluentd's.
      assert.match(source, /^\s*tag sidecar$/m);
      const label = /@label (@\S+)/.exec(source)?.[1];
      assert.ok(label);
      const route = new RegExp(`<label ${label}>[\\s\\S]*?</label>`).exec(conf)?.[0] ?? '';
      assert.match(route, /logstash_prefix app\b/);
      assert.match(route, /@timestamp \$\{Time\.now/);
      const fluentd = container(defaults, 'DaemonSet', 'fluentd', 'fluentd');
      assert.ok(fluentd.ports?.some((p) => p.containerPort === 24224 && p.name === 'forward' && p.protocol === 'TCP'));
      const svc = find(defaults, 'Service', 'fluentd').spec as { selector: Record<string, string>; ports: Array<{ port: number; targetPort: string }> };
      assert.deepEqual(
        svc.ports.map((p) => [p.port, p.targetPort]),
        [[24224, 'forward']],
      );
      assert.ok(matches(svc.selector, templateOf(find(defaults, 'DaemonSet', 'fluentd')).metadata?.labels));
    });
  });

  describe('config that rolls', () => {
    it('no ConfigMap is mounted with subPath; fluentd mounts its config directory', () => {
      for (const o of defaults.filter((x) => WORKLOADS.has(String(x.kind)))) {
        const t = templateOf(o);
        const configMaps = new Set((t.spec.volumes ?? []).filter((v) => v.configMap).map((v) => v.name));
        for (const c of allContainers(t))
          for (const m of c.volumeMounts ?? [])
            if (configMaps.has(m.name)) assert.equal(m.subPath, undefined, `${o.metadata?.name}/${c.name} mounts ${m.name}`);
      }
      const mount = container(defaults, 'DaemonSet', 'fluentd', 'fluentd').volumeMounts?.find((m) => m.name === 'config');
      assert.equal(mount?.mountPath, '/fluentd/etc');
      assert.equal(envOf(container(defaults, 'DaemonSet', 'fluentd', 'fluentd'), 'FLUENTD_CONF')?.value, 'fluent.conf');
    });

    it('the checksum annotations change with the config they cover, and only then', async () => {
      const sums = (objects: KubeObject[]) => ({
        fluentd: templateOf(find(objects, 'DaemonSet', 'fluentd')).metadata?.annotations?.['checksum/fluentd-config'],
        kibana: templateOf(find(objects, 'Deployment', 'kibana')).metadata?.annotations?.['checksum/elasticsearch-setup'],
      });
      const base = sums(defaults);
      assert.match(base.fluentd ?? '', /^[a-f0-9]{64}$/);
      assert.match(base.kibana ?? '', /^[a-f0-9]{64}$/);
      const buffer = sums(await render({ fluentd: { bufferLimit: '4g' } }));
      assert.notEqual(buffer.fluentd, base.fluentd);
      assert.equal(buffer.kibana, base.kibana);
      const retention = sums(await render({ retention: { days: 30 } }));
      assert.notEqual(retention.kibana, base.kibana);
      assert.equal(retention.fluentd, base.fluentd);
    });
  });

  describe('Elasticsearch sizing and topology', () => {
    it('the heap is half of the memory limit, from the one value', async () => {
      const heap = async (memory: string) =>
        envOf(
          container(await render({ elasticsearch: { resources: { limits: { memory } } } }), 'StatefulSet', 'elasticsearch', 'elasticsearch'),
          'ES_JAVA_OPTS',
        )?.value;
      assert.equal(envOf(container(defaults, 'StatefulSet', 'elasticsearch', 'elasticsearch'), 'ES_JAVA_OPTS')?.value, '-Xms1024m -Xmx1024m');
      assert.equal(await heap('8Gi'), '-Xms4096m -Xmx4096m');
      assert.equal(await heap('3000Mi'), '-Xms1500m -Xmx1500m');
      assert.equal(await heap('128Gi'), '-Xms31744m -Xmx31744m', 'capped below the compressed-oops threshold');
      await assert.rejects(heap('512Mi'), /at least 1Gi/);
      await assert.rejects(render({ elasticsearch: { heapSize: '4g' } }), /helm template failed/, 'no separate heap value any more');
    });

    it('one node by default: single-node discovery, no transport TLS needed', () => {
      const es = container(defaults, 'StatefulSet', 'elasticsearch', 'elasticsearch');
      assert.equal(envOf(es, 'discovery.type')?.value, 'single-node');
      assert.equal(envOf(es, 'cluster.initial_master_nodes'), undefined);
      assert.equal((find(defaults, 'StatefulSet', 'elasticsearch').spec as { replicas: number }).replicas, 1);
    });

    it('more than one node: vm.max_map_count raised by a privileged init container, discovery through the headless Service, transport TLS', async () => {
      const objects = await render(multiNode());
      const sts = find(objects, 'StatefulSet', 'elasticsearch');
      const t = templateOf(sts);
      const sysctl = t.spec.initContainers?.find((c) => c.securityContext?.privileged === true);
      assert.ok(sysctl, 'a privileged init container');
      assert.match(sysctl.command?.join(' ') ?? '', /262144 > \/proc\/sys\/vm\/max_map_count/);
      assert.equal(sysctl.securityContext?.runAsUser, 0);
      const es = container(objects, 'StatefulSet', 'elasticsearch', 'elasticsearch');
      assert.equal(envOf(es, 'discovery.type'), undefined);
      assert.equal(envOf(es, 'discovery.seed_hosts')?.value, (sts.spec as { serviceName: string }).serviceName);
      assert.equal(envOf(es, 'cluster.initial_master_nodes')?.value, 'elasticsearch-0,elasticsearch-1,elasticsearch-2');
      assert.equal(envOf(es, 'xpack.security.transport.ssl.enabled')?.value, 'true');
      for (const f of ['key', 'certificate', 'certificate_authorities'])
        assert.match(envOf(es, `xpack.security.transport.ssl.${f}`)?.value ?? '', /^certs\/transport\//);
      const mount = es.volumeMounts?.find((m) => m.mountPath === '/usr/share/elasticsearch/config/certs/transport');
      assert.ok(mount);
      assert.deepEqual(t.spec.volumes?.find((v) => v.name === mount.name)?.secret, { secretName: 'es-transport', defaultMode: 0o440 });
      const headless = find(objects, 'Service', 'elasticsearch-headless').spec as { clusterIP: string; publishNotReadyAddresses: boolean };
      assert.equal(headless.clusterIP, 'None');
      assert.equal(headless.publishNotReadyAddresses, true);
    });

    it('more than one node without transport certificates is refused, not rendered half-secure', async () => {
      await assert.rejects(render({ elasticsearch: { replicas: 3 } }), /transportTLS/);
    });

    it('vm.max_map_count alternatives: node.store.allow_mmap false, or the nodes already configured; no privileged container then', async () => {
      for (const [mode, mmap] of [
        ['disableMmap', 'false'],
        ['nodeConfigured', undefined],
      ] as const) {
        const objects = await render(multiNode({ vmMaxMapCount: mode }));
        const t = templateOf(find(objects, 'StatefulSet', 'elasticsearch'));
        assert.ok(!allContainers(t).some((c) => c.securityContext?.privileged), mode);
        assert.equal(envOf(container(objects, 'StatefulSet', 'elasticsearch', 'elasticsearch'), 'node.store.allow_mmap')?.value, mmap, mode);
      }
      assert.ok(
        templateOf(find(defaults, 'StatefulSet', 'elasticsearch')).spec.initContainers?.some((c) => c.securityContext?.privileged),
        'on by default',
      );
    });

    it('keeps what is immutable as in 1.0.0: selector, serviceName, podManagementPolicy, claim templates minus helm.sh/chart', async () => {
      const older = efk.older[0];
      assert.ok(older);
      const previous = find(await renderer.render(older, {}), 'StatefulSet', 'elasticsearch').spec as Record<string, unknown>;
      const current = find(defaults, 'StatefulSet', 'elasticsearch').spec as Record<string, unknown>;
      for (const field of ['selector', 'serviceName', 'podManagementPolicy']) assert.deepEqual(current[field], previous[field], field);
      type Claim = { metadata: { name: string; labels?: Record<string, string> }; spec: unknown };
      const [was] = previous.volumeClaimTemplates as Claim[];
      const [now] = current.volumeClaimTemplates as Claim[];
      assert.ok(was && now);
      assert.deepEqual(now.spec, was.spec);
      assert.equal(now.metadata.name, was.metadata.name);
      const { 'helm.sh/chart': _chart, ...stable } = was.metadata.labels ?? {};
      assert.deepEqual(now.metadata.labels, stable);
      assert.ok(!JSON.stringify(current.volumeClaimTemplates).includes('helm.sh/chart'));
      assert.ok(!JSON.stringify(current.selector).includes('helm.sh/chart'));
    });
  });

  describe('placement and Pod Security', () => {
    it('every Pod runs on Linux; fluentd tolerates every taint, as a node agent', () => {
      for (const o of defaults.filter((x) => WORKLOADS.has(String(x.kind))))
        assert.deepEqual(templateOf(o).spec.nodeSelector, { 'kubernetes.io/os': 'linux' }, `${o.kind}/${o.metadata?.name}`);
      assert.deepEqual(templateOf(find(defaults, 'DaemonSet', 'fluentd')).spec.tolerations, [{ operator: 'Exists' }]);
    });

    it('Kibana meets restricted on its own; Elasticsearch too except the sysctl init container; fluentd only reads the host log directory', () => {
      const restricted = (pod: PodSpec, c: Container) => {
        assert.equal(c.securityContext?.allowPrivilegeEscalation, false, c.name);
        assert.deepEqual(c.securityContext?.capabilities, { drop: ['ALL'] }, c.name);
        assert.equal(c.securityContext?.privileged, undefined, c.name);
        assert.equal(pod.securityContext?.runAsNonRoot, true, c.name);
        assert.deepEqual(pod.securityContext?.seccompProfile, { type: 'RuntimeDefault' }, c.name);
        assert.notEqual(c.securityContext?.runAsNonRoot, false, c.name);
      };
      const kibana = templateOf(find(defaults, 'Deployment', 'kibana')).spec;
      for (const c of allContainers({ spec: kibana })) restricted(kibana, c);
      assert.ok(kibana.volumes?.every((v) => v.hostPath === undefined));
      const es = templateOf(find(defaults, 'StatefulSet', 'elasticsearch')).spec;
      restricted(es, container(defaults, 'StatefulSet', 'elasticsearch', 'elasticsearch'));
      assert.deepEqual(
        allContainers({ spec: es })
          .filter((c) => c.securityContext?.privileged)
          .map((c) => c.name),
        ['sysctl-max-map-count'],
      );
      const fluentd = templateOf(find(defaults, 'DaemonSet', 'fluentd')).spec;
      for (const c of allContainers({ spec: fluentd })) {
        assert.equal(c.securityContext?.privileged, undefined);
        assert.deepEqual(c.securityContext?.capabilities, { drop: ['ALL'] });
        assert.equal(c.volumeMounts?.find((m) => m.name === 'varlog')?.readOnly, true, `${c.name} reads /var/log only`);
      }
      assert.equal(efk.podSecurity, 'privileged', 'hostPath volumes are outside baseline');
    });
  });
});
