/**
 * Where each piece of software our bundles run really listens, as configured
 * by the container's args and env, from the software's own documentation.
 * The bundle-rules test aims every probe at one of these ports, so a probe
 * on a port nothing serves (datadog's health port without DD_HEALTH_PORT:
 * the agent's default is 0, off) fails here instead of in a cluster.
 */
export interface Container {
  name: string;
  image: string;
  args?: string[];
  command?: string[];
  env?: Array<{ name: string; value?: string }>;
  ports?: Array<{ name?: string; containerPort: number; protocol?: string }>;
  volumeMounts?: Array<{ name: string; mountPath: string; subPath?: string }>;
  livenessProbe?: Record<string, unknown>;
  readinessProbe?: Record<string, unknown>;
  startupProbe?: Record<string, unknown>;
}

function env(c: Container, name: string): string | undefined {
  return c.env?.find((e) => e.name === name)?.value;
}

/** The value of `--flag=v`, `--flag v`, `-flag=v` or `-flag v` in args/command. */
function flag(c: Container, name: string): string | undefined {
  const argv = [...(c.command ?? []), ...(c.args ?? [])];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? '';
    for (const dash of ['--', '-']) {
      if (a === `${dash}${name}`) return argv[i + 1];
      if (a.startsWith(`${dash}${name}=`)) return a.slice(dash.length + name.length + 1);
    }
  }
  return undefined;
}

/** The port of a listen address `host:port`, `:port` or a bare port. */
function portOf(address: string | undefined, fallback: number): number {
  if (address === undefined) return fallback;
  const n = Number(address.slice(address.lastIndexOf(':') + 1));
  return Number.isInteger(n) ? n : fallback;
}

const num = (v: string | undefined): number[] => (v !== undefined && /^\d+$/.test(v) ? [Number(v)] : []);

/** image repository (no tag) → the ports it listens on, given the container. */
const SOFTWARE: ReadonlyArray<[RegExp, (c: Container) => number[]]> = [
  // Datadog agent: health on DD_HEALTH_PORT (default 0: no health server), APM 8126, DogStatsD 8125/UDP.
  [/datadoghq\/agent$/, (c) => [...num(env(c, 'DD_HEALTH_PORT')), portOf(env(c, 'DD_APM_RECEIVER_PORT'), 8126), portOf(env(c, 'DD_DOGSTATSD_PORT'), 8125)]],
  // Cluster agent: health on DD_HEALTH_PORT (unset: none), cluster-agent API DD_CLUSTER_AGENT_CMD_PORT (5005), metrics 5000.
  [
    /datadoghq\/cluster-agent$/,
    (c) => [...num(env(c, 'DD_HEALTH_PORT')), portOf(env(c, 'DD_CLUSTER_AGENT_CMD_PORT'), 5005), portOf(env(c, 'DD_METRICS_PORT'), 5000)],
  ],
  [/prometheus\/prometheus$/, (c) => [portOf(flag(c, 'web.listen-address'), 9090)]],
  [/prometheus\/node-exporter$/, (c) => [portOf(flag(c, 'web.listen-address'), 9100)]],
  [/kube-state-metrics\/kube-state-metrics$/, (c) => [portOf(flag(c, 'port'), 8080), portOf(flag(c, 'telemetry-port'), 8081)]],
  // Elasticsearch: http.port 9200, transport.port 9300 (settings may come as env in the official image).
  [/elasticsearch\/elasticsearch$/, (c) => [portOf(env(c, 'http.port'), 9200), portOf(env(c, 'transport.port'), 9300)]],
  [/kibana\/kibana$/, (c) => [portOf(env(c, 'SERVER_PORT'), 5601)]],
  // fluentd's ports are those of its config's sources; the bundles declare them as containerPorts.
  [/fluentd[^/]*$/, (c) => (c.ports ?? []).map((p) => p.containerPort)],
  [/headlamp$/, (c) => [portOf(flag(c, 'port'), 4466)]],
  // Kubernetes Dashboard v2 (1.0.0 of the dashboard bundle): 8443 with --auto-generate-certificates, else 9090.
  [/kubernetesui\/dashboard$/, (c) => [(c.args ?? []).includes('--auto-generate-certificates') ? 8443 : 9090]],
  [/kubernetesui\/metrics-scraper$/, () => [8000]],
];

/** The ports `c` listens on as configured, or undefined when its software is not in the table. */
export function listenPorts(c: Container): number[] | undefined {
  const repo = c.image.replace(/[:@].*$/, '');
  return SOFTWARE.find(([re]) => re.test(repo))?.[1](c);
}
