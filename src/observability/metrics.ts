/**
 * Prometheus metrics. A registry is created per server (never the global
 * default) so tests and several servers in one process do not collide.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface Metrics {
  registry: Registry;
  requests: Counter<'webhook' | 'operation' | 'allowed'>;
  duration: Histogram<'webhook'>;
  configReloads: Counter<'result'>;
  certExpiry: Gauge;
  reconcileWrites: Counter<'reconciler' | 'verb' | 'kind'>;
  leader: Gauge;
  ingressConflicts: Gauge;
  findings: Counter<'rule' | 'mode'>;
  exemptionsExpired: Gauge;
}

export interface MetricsOptions {
  defaultMetrics?: boolean;
  /** Exemptions of the policy in force that have expired, read at each scrape (time passes between reloads). */
  expiredExemptions?: () => number;
}

export function createMetrics(options: MetricsOptions = {}): Metrics {
  const expired = options.expiredExemptions;
  const registry = new Registry();
  if (options.defaultMetrics) collectDefaultMetrics({ register: registry });
  return {
    registry,
    requests: new Counter({
      name: 'harbormaster_admission_requests_total',
      help: 'Admission requests answered, by webhook path, operation and outcome.',
      labelNames: ['webhook', 'operation', 'allowed'],
      registers: [registry],
    }),
    duration: new Histogram({
      name: 'harbormaster_admission_duration_seconds',
      help: 'Server-side time from decoded request to encoded response.',
      labelNames: ['webhook'],
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1],
      registers: [registry],
    }),
    configReloads: new Counter({
      name: 'harbormaster_config_reload_total',
      help: 'Policy file reloads by result (success keeps the new policy, error keeps the last good one).',
      labelNames: ['result'],
      registers: [registry],
    }),
    certExpiry: new Gauge({
      name: 'harbormaster_certificate_expiry_timestamp_seconds',
      help: 'notAfter of the serving certificate in use, as a Unix timestamp.',
      registers: [registry],
    }),
    reconcileWrites: new Counter({
      name: 'harbormaster_reconcile_writes_total',
      help: 'API writes made by the reconcilers (zero at steady state).',
      labelNames: ['reconciler', 'verb', 'kind'],
      registers: [registry],
    }),
    ingressConflicts: new Gauge({
      name: 'harbormaster_ingress_host_conflicts',
      help: 'Ingresses serving a host+path that an older Ingress of another namespace already serves (got past admission in a race).',
      registers: [registry],
    }),
    findings: new Counter({
      name: 'harbormaster_rule_findings_total',
      help: 'Rule findings by rule and mode: enforce (denied), warn (admitted with a warning), audit (admitted silently).',
      labelNames: ['rule', 'mode'],
      registers: [registry],
    }),
    exemptionsExpired: new Gauge({
      name: 'harbormaster_exemptions_expired',
      help: 'Exemptions in the policy file past their expiry: they no longer apply; renew or remove them.',
      registers: [registry],
      collect() {
        if (expired) this.set(expired());
      },
    }),
    leader: new Gauge({
      name: 'harbormaster_leader',
      help: '1 while this replica holds the reconciler lease.',
      registers: [registry],
    }),
  };
}
