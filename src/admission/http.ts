/**
 * HTTP transport only: body limit, JSON decoding, routing to a policy,
 * always a well-formed reply. A policy that throws yields HTTP 500 so the API
 * server applies the webhook's failurePolicy (fail-open entries stay open);
 * a stack trace never reaches the caller.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { AdmissionRequest, AdmissionResponse } from '../kube/types.js';
import type { ClusterView } from '../policy/view.js';
import type { PolicyConfig } from '../config/types.js';
import type { Logger } from '../observability/log.js';
import type { Metrics } from '../observability/metrics.js';
import type { Decision } from '../policy/decision.js';
import { judgeCaller, requireClientCertificate } from './client-auth.js';
import { evaluate } from './engine.js';
import type { PolicyRegistry } from './registry.js';
import { jsonDeeperThan } from './json-depth.js';
import { decodeReview, encodeReview, MAX_DEPTH, toResponse } from './review.js';

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
  /** Test hook, off by default: every request answered with an AdmissionReview, and the answer. */
  onAnswer?: (record: { webhook: string; request: AdmissionRequest; response: AdmissionResponse; config: PolicyConfig; at: number }) => void;
}

function fail(res: Response, status: number, reason: string): void {
  res.status(status).json({ error: reason });
}

/** What one admission call answers: an HTTP status and a JSON body, encoded once. */
interface Answer {
  status: number;
  body: Buffer;
}

const error = (status: number, reason: string): Answer => ({ status, body: Buffer.from(JSON.stringify({ error: reason })) });

/** The admission work proper, shared by the direct path and the express route: decode, evaluate, encode, observe. */
function answer(deps: AdmissionAppDeps, type: string, policyName: string, raw: Buffer): Answer {
  const policy = deps.registry.get(type, policyName);
  if (!policy) return error(404, `no policy at /${type}/${policyName}`);
  const started = process.hrtime.bigint();
  if (jsonDeeperThan(raw, MAX_DEPTH)) return error(400, `body nests deeper than ${MAX_DEPTH} levels`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.toString('utf8'));
  } catch {
    return error(400, 'body is not valid JSON');
  }
  const decoded = decodeReview(parsed);
  if (!decoded.ok) return error(400, decoded.reason);
  const request = decoded.request;
  const webhook = `${type}/${policyName}`;
  let decision;
  const config = deps.config();
  const at = Date.now();
  try {
    decision = evaluate({ policy, request, cluster: deps.cluster, config, now: at });
  } catch (err) {
    deps.logger.error({ uid: request.uid, webhook, err: (err as Error).message }, 'policy failed');
    return error(500, 'internal error evaluating the policy');
  }
  const body = encodeReview(request.uid, decision);
  if (deps.onAnswer) deps.onAnswer({ webhook, request, response: toResponse(request.uid, decision), config, at });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  deps.metrics?.duration.observe({ webhook }, seconds);
  deps.metrics?.requests.inc({ webhook, operation: request.operation, allowed: String(decision.allowed) });
  if (deps.metrics) countFindings(deps.metrics, decision);
  if (!decision.allowed) logDenial(deps.logger, webhook, request, decision.denials);
  return { status: 200, body };
}

/** One count per rule and mode per request (not per message: a rule's 3,000 findings on one object are one). */
function countFindings(metrics: Metrics, decision: Decision): void {
  if (decision.denials.length === 0 && decision.findings.length === 0) return;
  const seen = new Set<string>();
  const all = [...decision.denials.map((d) => ({ rule: d.rule, mode: 'enforce' })), ...decision.findings];
  for (const { rule, mode } of all) {
    const key = `${mode} ${rule}`;
    if (seen.has(key)) continue;
    seen.add(key);
    metrics.findings.inc({ rule, mode });
  }
}

function logDenial(logger: Logger, webhook: string, request: AdmissionRequest, denials: ReadonlyArray<{ rule: string }>): void {
  const meta = request.object?.metadata ?? request.oldObject?.metadata ?? {};
  logger.info(
    {
      uid: request.uid,
      webhook,
      kind: request.kind.kind,
      namespace: request.namespace ?? meta.namespace,
      name: request.name ?? meta.name ?? meta.generateName,
      operation: request.operation,
      dryRun: request.dryRun === true,
      rules: [...new Set(denials.map((d) => d.rule))],
    },
    'denied',
  );
}

const JSON_TYPE = 'application/json; charset=utf-8';

/** Writes an answer as express's res.json would (same headers), without express: one write, with its length. */
function send(res: ServerResponse, a: Answer, close = false): void {
  res.writeHead(a.status, {
    'content-type': JSON_TYPE,
    'content-length': a.body.length,
    ...(close ? { connection: 'close' } : {}),
  });
  res.end(a.body);
}

/**
 * The exact admission paths, with or without a query: the API server calls
 * `<path>?timeout=10s` (client-go adds the webhook's timeoutSeconds, as in
 * its "failed calling webhook … /validate/x?timeout=10s" errors), which must
 * take this path too; the express route below answers such a request the
 * same way. Anything else (other spellings, other methods) goes through
 * express.
 */
export const ADMISSION_PATH = /^\/(mutate|validate)\/([a-z0-9-]+)(?:\?[^#]*)?$/;

/**
 * The hot path without express: every AdmissionReview the API server sends
 * comes here. Same order and answers as the express route below (caller
 * check before the body is read, 413 over the limit, then the policy),
 * measured cheaper per call under load (bench/load.bench.ts).
 */
function direct(deps: AdmissionAppDeps, req: IncomingMessage, res: ServerResponse, type: string, policyName: string): void {
  if (deps.clientAuth) {
    const refusal = judgeCaller(req.socket as TLSSocket);
    if (refusal) return send(res, error(refusal.status, refusal.reason), true);
  }
  const declared = Number(req.headers['content-length']);
  if (declared > MAX_BODY_BYTES) return send(res, error(413, `body exceeds ${MAX_BODY_BYTES} bytes`), true);
  const chunks: Buffer[] = [];
  let size = 0;
  let over = false;
  req.on('data', (c: Buffer) => {
    if (over) return;
    size += c.length;
    if (size > MAX_BODY_BYTES) {
      // Answer now; "connection: close" ends the socket once the answer is out, and the rest is never kept.
      over = true;
      send(res, error(413, `body exceeds ${MAX_BODY_BYTES} bytes`), true);
      return;
    }
    chunks.push(c);
  });
  req.on('end', () => {
    if (!over) send(res, answer(deps, type, policyName, chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size)));
  });
  req.on('error', () => {
    if (!res.headersSent) send(res, error(400, 'bad request'), true);
  });
}

export function createAdmissionApp(deps: AdmissionAppDeps): RequestListener {
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
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const a = answer(deps, String(req.params.type), String(req.params.policy), raw);
    res.status(a.status).type(JSON_TYPE).send(a.body);
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
  return (req, res) => {
    const m = req.method === 'POST' ? ADMISSION_PATH.exec(req.url ?? '') : null;
    if (m) direct(deps, req, res, m[1] as string, m[2] as string);
    else void app(req, res);
  };
}
