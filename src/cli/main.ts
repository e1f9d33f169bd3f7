/**
 * The `harbormaster` command line. Parses arguments and calls into the
 * runtime; nothing below src/cli imports from here.
 */
import { Command, Option } from 'commander';
import { createLogger } from '../observability/log.js';
import { DEFAULT_POLICY_FILE, PACKAGE_VERSION } from '../paths.js';
import { runCertsGenerate } from './certs.js';
import { runReview, type CliIO } from './review.js';
import { runPolicies } from './policies.js';
import { parseDuration } from '../audit/duration.js';
// dev and addons load the Kubernetes client (~70 MiB): imported when their command runs, not by `serve --state` or `review`.
import type { AddonsCliOptions } from './addons.js';
import type { AuditCliOptions } from './audit.js';

const addonsCli = (): Promise<typeof import('./addons.js')> => import('./addons.js');

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

const stdio: CliIO = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
};

/** Waits for SIGINT/SIGTERM, then runs `stop`. */
function untilSignal(stop: () => Promise<void>): Promise<number> {
  return new Promise((resolve) => {
    const handler = (): void => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
      stop().then(
        () => resolve(0),
        () => resolve(1),
      );
    };
    process.on('SIGINT', handler);
    process.on('SIGTERM', handler);
  });
}

export async function main(argv: string[], io: CliIO = stdio): Promise<number> {
  let code = 0;
  const program = new Command();
  program
    .name('harbormaster')
    .description('Admission webhook and addon server for tenant Kubernetes clusters')
    .version(PACKAGE_VERSION)
    // Program options only before the subcommand: `addons enable --version` is the bundle version.
    .enablePositionalOptions()
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err });

  program
    .command('serve')
    .description('run the admission webhook server')
    .option('--config <file>', 'policy file', DEFAULT_POLICY_FILE)
    .option('--cert-dir <dir>', 'directory with tls.crt and tls.key', 'certs')
    .option(
      '--client-ca <file>',
      "PEM CA bundle: /mutate and /validate answer only callers with a client certificate it signed (the API server's AdmissionConfiguration kubeconfig); /healthz, /readyz stay open; reloaded with the certificate",
    )
    .option('--port <port>', 'HTTPS port', '8443')
    .option('--metrics-port <port>', 'plain-HTTP metrics port', '9090')
    .option('--host <addr>', 'listen address', '0.0.0.0')
    .addOption(new Option('--kubeconfig <file>', 'kubeconfig (default: in-cluster)').conflicts('state'))
    .option('--state <dir>', 'cluster state from manifest files, no API server')
    .option('--manage-certs', "keep Secret harbormaster-tls renewed and the webhooks' caBundle in sync (leader only)")
    .option('--helm <path>', 'helm binary for rendering addons', process.env.HARBORMASTER_HELM ?? 'helm')
    .option('--audit-interval <duration>', 'leader only: audit existing objects this often (e.g. 10m) and write PolicyReports that changed')
    .option('--shutdown-delay <seconds>', 'on SIGTERM, answer /readyz 503 but keep serving this long before the listener stops', '5')
    .action(
      async (o: {
        config: string;
        certDir: string;
        clientCa?: string;
        port: string;
        metricsPort: string;
        host: string;
        kubeconfig?: string;
        state?: string;
        manageCerts?: boolean;
        helm: string;
        auditInterval?: string;
        shutdownDelay: string;
      }) => {
        const auditIntervalMs = o.auditInterval === undefined ? undefined : parseDuration(o.auditInterval);
        if (o.auditInterval !== undefined && !auditIntervalMs) {
          io.err(`serve: --audit-interval must be a duration such as 90s, 10m or 1h\n`);
          code = 2;
          return;
        }
        const logger = createLogger();
        // Loaded on demand: the Kubernetes client is heavy and offline commands never need it.
        const { startServer, StartupError } = await import('../runtime/serve.js');
        try {
          const server = await startServer({
            configPath: o.config,
            certDir: o.certDir,
            ...(o.clientCa ? { clientCaFile: o.clientCa } : {}),
            port: Number(o.port),
            metricsPort: Number(o.metricsPort),
            host: o.host,
            logger,
            ...(o.state ? { stateDir: o.state } : {}),
            ...(o.kubeconfig ? { kubeconfig: o.kubeconfig } : {}),
            ...(o.manageCerts ? { manageCerts: true } : {}),
            helm: o.helm,
            ...(auditIntervalMs ? { auditIntervalMs } : {}),
            shutdownDelayMs: Math.max(0, Number(o.shutdownDelay) || 0) * 1000,
          });
          code = await untilSignal(() => server.close());
        } catch (err) {
          io.err(`serve: ${(err as Error).message}\n`);
          code = err instanceof StartupError ? 2 : 1;
        }
      },
    );

  program
    .command('dev')
    .description('start a local control plane with Harbormaster registered (npm start)')
    .option('--port <port>', 'HTTPS port of the webhook server', '0')
    .action(async (o: { port: string }) => {
      const { runDev } = await import('./dev.js');
      code = await runDev({ port: Number(o.port) }, io);
    });

  program
    .command('review')
    .description('evaluate manifests against the policy, offline')
    .requiredOption('-f, --file <file>', 'manifest file, - for stdin (repeatable)', collect)
    .option('--operation <op>', 'CREATE, UPDATE or DELETE', 'CREATE')
    .option('--namespace <ns>', 'namespace for objects that name none', 'default')
    .option('--state <dir>', 'manifests of objects that already exist')
    .option('--config <file>', 'policy file')
    .option('--output <format>', 'text or json', 'text')
    .option('--as <user>', 'review as this user (default: a tenant)')
    .option('--as-group <group>', 'review as a member of this group (repeatable)', collect)
    .action((o: { file: string[]; operation: string; namespace: string; state?: string; config?: string; output: string; as?: string; asGroup?: string[] }) => {
      code = runReview(o, io);
    });

  program
    .command('audit')
    .description('evaluate every existing object the validating policies cover, read-only; exit 1 when anything is found')
    .option('--kubeconfig <file>', 'kubeconfig (default: KUBECONFIG or ~/.kube/config)')
    .option('--config <file>', 'policy file', DEFAULT_POLICY_FILE)
    .option('--output <format>', 'text, json or policyreport', 'text')
    .option('--apply', 'write one PolicyReport per namespace and a ClusterPolicyReport (wgpolicyk8s.io/v1alpha2), only where changed')
    .action(async (o: AuditCliOptions) => {
      // The Kubernetes client is heavy: loaded only when an audit runs.
      code = await (await import('./audit.js')).runAudit(o, io);
    });

  program
    .command('policies')
    .description('print the security-review report of the policy in force')
    .option('--format <format>', 'md, html or json', 'md')
    .option('--config <file>', 'policy file', DEFAULT_POLICY_FILE)
    .option('--kubeconfig <file>', 'also audit this cluster and include the summary')
    .action(async (o: { format: string; config: string; kubeconfig?: string }) => {
      code = await runPolicies(o, io);
    });

  program
    .command('load')
    .description('copy the objects under an s3:// or gs:// prefix into a directory (what the data-loading Jobs run)')
    .requiredOption('--source <url>', 's3://<bucket>[/<prefix>] or gs://<bucket>[/<prefix>]')
    .requiredOption('--target <dir>', 'directory to fill (the mounted PVC)')
    .option('--endpoint <url>', 'S3-compatible or GCS endpoint (default: the provider)')
    .option('--credentials-dir <dir>', 'the mounted aws-credential or gcp-credential Secret (default: anonymous, a public bucket)')
    .option('--parallel <n>', 'objects copied at once', '8')
    .action(async (o: { source: string; target: string; endpoint?: string; credentialsDir?: string; parallel: string }) => {
      // Loaded on demand: the object-store SDKs are for this command only.
      const { runLoad } = await import('./load.js');
      code = await runLoad(o, io);
    });

  const addons = program.command('addons').description('addon catalog and control through the Cluster object');
  const common = (c: Command): Command =>
    c
      .option('--kubeconfig <file>', 'kubeconfig (default: KUBECONFIG or ~/.kube/config)')
      .option('--cluster <name>', 'the Cluster object (default: the only/oldest one)');
  common(addons.command('list').description('the catalog with versions and state')).action(async (o: AddonsCliOptions) => {
    code = await (await addonsCli()).runAddonsList(o, io);
  });
  common(addons.command('enable <name>').description('enable an addon and follow it until its workloads have rolled out (Ready)'))
    .option('--values <file>', 'values (YAML or JSON), checked against the addon schema')
    .option('--version <version>', 'pin a bundle version the catalog keeps (the current one removes the pin)')
    .option('--no-wait', 'return once the annotation is set')
    .option('--timeout <seconds>', 'how long to follow', '120')
    .action(async (name: string, o: AddonsCliOptions & { values?: string; version?: string; wait?: boolean }) => {
      code = await (await addonsCli()).runAddonsEnable(name, o, io);
    });
  common(addons.command('disable <name>').description('disable an addon (PersistentVolumeClaims are kept unless --purge)'))
    .option('--purge', 'delete its PersistentVolumeClaims too')
    .option('--no-wait', 'return once the annotation is set')
    .option('--timeout <seconds>', 'how long to follow', '120')
    .action(async (name: string, o: AddonsCliOptions & { purge?: boolean; wait?: boolean }) => {
      code = await (await addonsCli()).runAddonsDisable(name, o, io);
    });
  common(addons.command('status').description('phase, objects applied and workloads ready per addon'))
    .option('--watch', 'keep refreshing')
    .action(async (o: AddonsCliOptions & { watch?: boolean }) => {
      code = await (await addonsCli()).runAddonsStatus(o, io);
    });

  const certs = program.command('certs').description('webhook certificates');
  certs
    .command('generate')
    .description('write a CA and a serving certificate for the webhook Service')
    .requiredOption('--out <dir>', 'output directory')
    .option('--service <name>', 'Service name', 'harbormaster')
    .option('--namespace <ns>', 'Service namespace', 'harbormaster-system')
    .option('--dns <name>', 'extra DNS SAN (repeatable)', collect, [])
    .option('--ip <addr>', 'extra IP SAN (repeatable)', collect, [])
    .option('--days <n>', 'validity of the serving certificate', '365')
    .action((o: { out: string; service: string; namespace: string; dns: string[]; ip: string[]; days: string }) => {
      code = runCertsGenerate(o, io);
    });

  // commander would print the top-level help, exit 0, for `unknown --help`: an unknown command is a usage error.
  const first = argv.slice(2).find((a) => !a.startsWith('-'));
  if (first !== undefined && first !== 'help' && !program.commands.some((c) => c.name() === first || c.aliases().includes(first))) {
    io.err(`harbormaster: unknown command "${first}"; see harbormaster --help\n`);
    return 2;
  }
  try {
    await program.parseAsync(argv);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    const fromCommander = typeof code === 'string' && code.startsWith('commander.');
    if (code === 'commander.helpDisplayed' || code === 'commander.version' || code === 'commander.help') return 0;
    // commander has already printed its own usage errors; anything else is ours to report.
    if (!fromCommander) io.err(`harbormaster: ${(err as Error).message}\n`);
    return fromCommander ? 2 : 1;
  }
  return code;
}
