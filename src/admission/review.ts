/**
 * Decoding AdmissionReview requests and encoding responses. The only place
 * that knows the wire shape; it treats the body as hostile and answers every
 * malformed input with a short reason (HTTP 400), never an exception.
 */
import type { Decision } from '../policy/decision.js';
import { OPERATIONS, type AdmissionRequest, type AdmissionResponse, type AdmissionReview } from './types.js';

export type Decoded = { ok: true; request: AdmissionRequest } | { ok: false; reason: string };

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Validates the envelope of an AdmissionReview v1 request. */
export function decodeReview(body: unknown): Decoded {
  if (!isObject(body)) return { ok: false, reason: 'body is not a JSON object' };
  if (body.apiVersion !== 'admission.k8s.io/v1') {
    return { ok: false, reason: 'apiVersion must be admission.k8s.io/v1' };
  }
  if (body.kind !== 'AdmissionReview') return { ok: false, reason: 'kind must be AdmissionReview' };
  const req = body.request;
  if (!isObject(req)) return { ok: false, reason: 'request is missing' };
  if (typeof req.uid !== 'string' || req.uid.length === 0 || req.uid.length > 128) {
    return { ok: false, reason: 'request.uid is missing' };
  }
  if (!isObject(req.kind) || typeof req.kind.kind !== 'string') {
    return { ok: false, reason: 'request.kind is missing' };
  }
  if (typeof req.operation !== 'string' || !(OPERATIONS as readonly string[]).includes(req.operation)) {
    return { ok: false, reason: 'request.operation is not one of CREATE, UPDATE, DELETE, CONNECT' };
  }
  if (req.object !== undefined && req.object !== null && !isObject(req.object)) {
    return { ok: false, reason: 'request.object is not an object' };
  }
  if (req.oldObject !== undefined && req.oldObject !== null && !isObject(req.oldObject)) {
    return { ok: false, reason: 'request.oldObject is not an object' };
  }
  const kind = req.kind as Record<string, unknown>;
  const request: AdmissionRequest = {
    ...(req as unknown as AdmissionRequest),
    kind: { group: String(kind.group ?? ''), version: String(kind.version ?? ''), kind: String(kind.kind) },
    resource: isObject(req.resource)
      ? (req.resource as unknown as AdmissionRequest['resource'])
      : { group: '', version: '', resource: '' },
    userInfo: isObject(req.userInfo) ? (req.userInfo as AdmissionRequest['userInfo']) : {},
  };
  return { ok: true, request };
}

/** Kubernetes shows warnings verbatim; it asks webhooks to keep each under 120 characters. */
export const MAX_WARNING_LENGTH = 120;

export function formatWarning(rule: string, message: string): string {
  const text = `[${rule}] ${message}`.replace(/[\r\n\t]+/g, ' ');
  return text.length <= MAX_WARNING_LENGTH ? text : text.slice(0, MAX_WARNING_LENGTH - 1) + '…';
}

export function formatDenials(decision: Decision): string {
  return decision.denials.map((d) => `[${d.rule}] ${d.message}`).join('; ');
}

/** Turns a policy decision into the AdmissionResponse for `uid`. */
export function toResponse(uid: string, decision: Decision): AdmissionResponse {
  const response: AdmissionResponse = { uid, allowed: decision.allowed };
  if (!decision.allowed) {
    response.status = { code: 403, reason: 'Forbidden', message: formatDenials(decision) };
  }
  if (decision.allowed && decision.patch.length > 0) {
    // The rule tags are ours; the API server gets plain RFC 6902 operations.
    const ops = decision.patch.map(({ rule: _rule, ...op }) => op);
    response.patchType = 'JSONPatch';
    response.patch = Buffer.from(JSON.stringify(ops)).toString('base64');
  }
  const warnings = [...new Set(decision.warnings.map((w) => formatWarning(w.rule, w.message)))];
  if (warnings.length > 0) response.warnings = warnings;
  return response;
}

export function toReview(response: AdmissionResponse): AdmissionReview {
  return { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response };
}
