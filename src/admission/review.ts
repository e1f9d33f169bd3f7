/**
 * Decoding AdmissionReview requests and encoding responses. The only place
 * that knows the wire shape; it treats the body as hostile and answers every
 * malformed input with a short reason (HTTP 400), never an exception.
 */
import { isObject } from '../kube/narrow.js';
import type { Decision } from '../policy/decision.js';
import { OPERATIONS, type AdmissionRequest, type AdmissionResponse, type AdmissionReview } from '../kube/types.js';

export type Decoded = { ok: true; request: AdmissionRequest } | { ok: false; reason: string };

/**
 * Deepest nesting accepted in a request body. Pods, Ingresses and the other
 * kinds we see are a few dozen levels deep at most (managedFields included);
 * anything deeper is not an object the API server sends us, and recursive
 * work on it (clone, diff) would exhaust the stack. Checked on the raw bytes
 * by the transport (json-depth.ts), before parsing.
 */
export const MAX_DEPTH = 100;

function isStringMap(v: unknown): boolean {
  return isObject(v) && Object.values(v).every((x) => typeof x === 'string');
}

/**
 * The metadata shape every policy relies on, as the API server guarantees
 * it: a caller that sends something else is not the API server, and gets a
 * 400 instead of reaching a policy that would trip over it.
 */
function metadataProblem(obj: Record<string, unknown>, field: string): string | undefined {
  const m = obj.metadata;
  if (m === undefined) return undefined;
  if (!isObject(m)) return `${field}.metadata is not an object`;
  for (const k of ['name', 'namespace', 'generateName', 'uid', 'creationTimestamp'] as const) {
    if (m[k] !== undefined && typeof m[k] !== 'string') return `${field}.metadata.${k} is not a string`;
  }
  for (const k of ['labels', 'annotations'] as const) {
    if (m[k] !== undefined && m[k] !== null && !isStringMap(m[k])) return `${field}.metadata.${k} must map strings to strings`;
  }
  if (m.ownerReferences !== undefined && m.ownerReferences !== null && !Array.isArray(m.ownerReferences))
    return `${field}.metadata.ownerReferences is not a list`;
  if (obj.kind !== undefined && typeof obj.kind !== 'string') return `${field}.kind is not a string`;
  if (obj.apiVersion !== undefined && typeof obj.apiVersion !== 'string') return `${field}.apiVersion is not a string`;
  return undefined;
}

/** The envelope around the request: apiVersion, kind, and a request object. */
function envelopeProblem(body: unknown): string | undefined {
  if (!isObject(body)) return 'body is not a JSON object';
  if (body.apiVersion !== 'admission.k8s.io/v1') return 'apiVersion must be admission.k8s.io/v1';
  if (body.kind !== 'AdmissionReview') return 'kind must be AdmissionReview';
  if (!isObject(body.request)) return 'request is missing';
  return undefined;
}

const isObjectOrAbsent = (v: unknown): boolean => v === undefined || v === null || isObject(v);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** The request's own fields, in the shapes the API server sends them. */
function requestProblem(req: Record<string, unknown>): string | undefined {
  if (typeof req.uid !== 'string' || req.uid.length === 0 || req.uid.length > 128) return 'request.uid is missing';
  if (!isObject(req.kind) || typeof req.kind.kind !== 'string') return 'request.kind is missing';
  if (typeof req.operation !== 'string' || !(OPERATIONS as readonly string[]).includes(req.operation)) {
    return 'request.operation is not one of CREATE, UPDATE, DELETE, CONNECT';
  }
  for (const field of ['object', 'oldObject'] as const) {
    const o = req[field];
    if (!isObjectOrAbsent(o)) return `request.${field} is not an object`;
    const problem = isObject(o) ? metadataProblem(o, `request.${field}`) : undefined;
    if (problem) return problem;
  }
  for (const k of ['name', 'namespace', 'subResource'] as const) {
    if (req[k] !== undefined && typeof req[k] !== 'string') return `request.${k} is not a string`;
  }
  return undefined;
}

/** Validates the envelope of an AdmissionReview v1 request. */
export function decodeReview(body: unknown): Decoded {
  const envelope = envelopeProblem(body);
  if (envelope) return { ok: false, reason: envelope };
  const req = (body as { request: Record<string, unknown> }).request;
  const problem = requestProblem(req);
  if (problem) return { ok: false, reason: problem };
  const kind = req.kind as Record<string, unknown>;
  const request: AdmissionRequest = {
    ...(req as unknown as AdmissionRequest),
    kind: { group: str(kind.group), version: str(kind.version), kind: str(kind.kind) },
    resource: isObject(req.resource) ? (req.resource as unknown as AdmissionRequest['resource']) : { group: '', version: '', resource: '' },
    userInfo: isObject(req.userInfo) ? req.userInfo : {},
  };
  return { ok: true, request };
}

/** Kubernetes shows warnings verbatim; it asks webhooks to keep each under 120 characters. */
export const MAX_WARNING_LENGTH = 120;

export function formatWarning(rule: string, message: string): string {
  const text = `[${rule}] ${message}`.replace(/[\r\n\t]+/g, ' ');
  return text.length <= MAX_WARNING_LENGTH ? text : text.slice(0, MAX_WARNING_LENGTH - 1) + '…';
}

/**
 * SPEC 3.0: apart from the patch no response exceeds 64 KiB. The denial
 * message and the warnings each get a share; what does not fit is cut with a
 * note, so a hostile object cannot make every reply large.
 */
export const MAX_MESSAGE_BYTES = 32 * 1024;
export const MAX_WARNINGS = 64;

export function formatDenials(decision: Decision): string {
  const text = decision.denials.map((d) => `[${d.rule}] ${d.message}`).join('; ');
  if (text.length <= MAX_MESSAGE_BYTES / 3 || Buffer.byteLength(text) <= MAX_MESSAGE_BYTES) return text;
  return `${Buffer.from(text)
    .subarray(0, MAX_MESSAGE_BYTES - 40)
    .toString('utf8')} … (message truncated)`;
}

/** The response without the patch, the patch's JSON text when there is one, and the warnings. */
function responseParts(uid: string, decision: Decision): { response: AdmissionResponse; patchJson?: string; warnings?: string[] } {
  const response: AdmissionResponse = { uid, allowed: decision.allowed };
  if (!decision.allowed) {
    response.status = { code: 403, reason: 'Forbidden', message: formatDenials(decision) };
  }
  let patchJson: string | undefined;
  if (decision.allowed && decision.patch.length > 0) {
    // The rule tags are ours; the API server gets plain RFC 6902 operations.
    patchJson = JSON.stringify(decision.patch.map(({ rule: _rule, ...op }) => op));
    response.patchType = 'JSONPatch';
  }
  const all = [...new Set(decision.warnings.map((w) => formatWarning(w.rule, w.message)))];
  const warnings = all.length <= MAX_WARNINGS ? all : [...all.slice(0, MAX_WARNINGS - 1), `… and ${all.length - MAX_WARNINGS + 1} more warnings`];
  return { response, ...(patchJson !== undefined ? { patchJson } : {}), ...(warnings.length > 0 ? { warnings } : {}) };
}

/** Turns a policy decision into the AdmissionResponse for `uid`. */
export function toResponse(uid: string, decision: Decision): AdmissionResponse {
  const { response, patchJson, warnings } = responseParts(uid, decision);
  if (patchJson !== undefined) response.patch = Buffer.from(patchJson).toString('base64');
  if (warnings) response.warnings = warnings;
  return response;
}

export function toReview(response: AdmissionResponse): AdmissionReview {
  return { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response };
}

const encoder = new TextEncoder();

/**
 * The UTF-8 bytes of `text`. On Node 20, Buffer.from(text) of a megabyte
 * string costs ~5 ms where TextEncoder.encodeInto, into a buffer of the
 * length Buffer.byteLength counts, takes ~0.1 ms; a short string is
 * quicker through Buffer.from. Same bytes: JSON.stringify output has no
 * lone surrogates, and both would write U+FFFD for one.
 */
function utf8(text: string): Buffer {
  if (text.length < 64 * 1024) return Buffer.from(text);
  const out = Buffer.allocUnsafe(Buffer.byteLength(text));
  if (encoder.encodeInto(text, out).written !== out.length) throw new Error('utf-8 encoding: length mismatch');
  return out;
}

/**
 * The AdmissionReview answering `uid`, as the bytes sent: exactly
 * `JSON.stringify(toReview(toResponse(uid, decision)))`, but a patch (a
 * megabyte and more for a large Pod) is base64-encoded once, straight into
 * the body, instead of being copied again by JSON.stringify, measured by
 * Buffer.byteLength and encoded again by the socket.
 */
export function encodeReview(uid: string, decision: Decision): Buffer {
  const { response, patchJson, warnings } = responseParts(uid, decision);
  if (patchJson === undefined) {
    if (warnings) response.warnings = warnings;
    return Buffer.from(JSON.stringify(toReview(response)));
  }
  // toResponse's key order: uid, allowed, patchType, patch, warnings; the review closes with "}}".
  const head = `${JSON.stringify(toReview(response)).slice(0, -2)},"patch":"`;
  const tail = `"${warnings ? `,"warnings":${JSON.stringify(warnings)}` : ''}}}`;
  const patch = utf8(patchJson).toString('base64');
  const headBytes = Buffer.byteLength(head);
  const out = Buffer.allocUnsafe(headBytes + patch.length + Buffer.byteLength(tail));
  let at = out.write(head, 0);
  at += out.write(patch, at, 'latin1');
  at += out.write(tail, at);
  if (at !== out.length) throw new Error('review encoding: length mismatch');
  return out;
}
