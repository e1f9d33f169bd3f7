/**
 * HTTP transport only: body limit, JSON decoding, routing to a policy,
 * always a well-formed reply. A policy that throws yields HTTP 500 so the API
 * server applies the webhook's failurePolicy (fail-open entries stay open);
 * a stack trace never reaches the caller.
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import type { ClusterView } from '../policy/view.js';
import type { PolicyConfig } from '../config/types.js';
import type { Logger } from '../observability/log.js';
import type { Metrics } from '../observability/metrics.js';
import { requireClientCertificate } from './client-auth.js';
import { evaluate } from './engine.js';
import type { PolicyRegistry } from './registry.js';
import { jsonDeeperThan } from './json-depth.js';
import { decodeReview, MAX_DEPTH, toResponse, toReview } from './review.js';

/** SPEC 2: bodies over 3.5 MiB are refused with 413. */
export const MAX_BODY_BYTES = Math.floor(3.5 * 1024 * 1024);

export interface AdmissionAppDeps {
  registry: PolicyRegistry;
  cluster: ClusterView;
  /** Returns the policy in force at call time (hot reload swaps it). */
  config: () => PolicyConfig;
  /** True when certificates are loaded and every cache has synced. */
  ready: () => boolean;
  logger: Logger;
  metrics?: Metrics;
  /**
   * The listener requests client certificates (`serve --client-ca`): admission
   * paths then answer only callers whose certificate chained to the client CA.
   * /healthz and /readyz stay open, since the kubelet's probes carry no certificate.
   */
  clientAuth?: boolean;
}

function fail(res: Response, status: number, reason: string): void {
  res.status(status).json({ error: reason });
}

export function createAdmissionApp(deps: AdmissionAppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  app.get('/healthz', (_req, res) => {
    res.type('text/plain').send('ok');
  });
  app.get('/readyz', (_req, res) => {
    if (deps.ready()) res.type('text/plain').send('ok');
    else res.status(503).type('text/plain').send('not ready');
  });

  const body = express.raw({ type: () => true, limit: MAX_BODY_BYTES });

  // Before the body parser: an unauthenticated caller's upload is never read.
  const callers: express.RequestHandler[] = deps.clientAuth ? [requireClientCertificate()] : [];

  app.post('/:type/:policy', ...callers, body, (req: Request, res: Response) => {
    const type = String(req.params.type);
    const policyName = String(req.params.policy);
    const policy = deps.registry.get(type, policyName);
    if (!policy) {
      fail(res, 404, `no policy at /${type}/${policyName}`);
      return;
    }
    const started = process.hrtime.bigint();
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    if (jsonDeeperThan(raw, MAX_DEPTH)) {
      fail(res, 400, `body nests deeper than ${MAX_DEPTH} levels`);
      return;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw.toString('utf8'));
    } catch {
      fail(res, 400, 'body is not valid JSON');
      return;
    }
    const decoded = decodeReview(parsed);
    if (!decoded.ok) {
      fail(res, 400, decoded.reason);
      return;
    }
    const request = decoded.request;
    const webhook = `${type}/${policyName}`;
    let decision;
    try {
      decision = evaluate({ policy, request, cluster: deps.cluster, config: deps.config() });
    } catch (err) {
      deps.logger.error({ uid: request.uid, webhook, err: (err as Error).message }, 'policy failed');
      fail(res, 500, 'internal error evaluating the policy');
      return;
    }
    const response = toResponse(request.uid, decision);
    res.json(toReview(response));

    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    deps.metrics?.duration.observe({ webhook }, seconds);
    deps.metrics?.requests.inc({ webhook, operation: request.operation, allowed: String(decision.allowed) });
    if (!decision.allowed) {
      const meta = request.object?.metadata ?? request.oldObject?.metadata ?? {};
      deps.logger.info(
        {
          uid: request.uid,
          webhook,
          kind: request.kind.kind,
          namespace: request.namespace ?? meta.namespace,
          name: request.name ?? meta.name ?? meta.generateName,
          operation: request.operation,
          dryRun: request.dryRun === true,
          rules: [...new Set(decision.denials.map((d) => d.rule))],
        },
        'denied',
      );
    }
  });

  app.use((_req, res) => {
    fail(res, 404, 'not found');
  });

  // express calls a 4-argument function as the error handler.
  app.use((err: { type?: string; status?: number }, _req: Request, res: Response, _next: NextFunction) => {
    if (err.type === 'entity.too.large') fail(res, 413, `body exceeds ${MAX_BODY_BYTES} bytes`);
    else if (err.status && err.status >= 400 && err.status < 500) fail(res, err.status, 'bad request');
    else fail(res, 500, 'internal error');
  });
  return app;
}
