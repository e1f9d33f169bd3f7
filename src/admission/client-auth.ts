/**
 * Caller authentication for the admission paths. Without it any Pod that
 * can reach the webhook port could send AdmissionReviews and learn from the
 * answers what exists in other namespaces (which Secrets, hosts, VIPs). The
 * TLS listener has already verified the caller's certificate against the
 * client CA (src/admission/server.ts); this only reads the verdict, so it
 * runs before the body is read and before the policy is looked up: an
 * unauthenticated caller learns neither which policies exist nor anything
 * else.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { TLSSocket } from 'node:tls';

/** Why a caller was refused, or undefined when it may proceed. */
export interface CallerRefusal {
  status: 401 | 403;
  reason: string;
}

/**
 * Judges one TLS socket: 401 when the caller sent no certificate, 403 when
 * it sent one that does not chain to the client CA (or has expired), with
 * OpenSSL's short code as the reason. Never a stack trace, never the subject
 * of the certificate (it is the caller's input).
 */
export function judgeCaller(socket: TLSSocket): CallerRefusal | undefined {
  if (socket.authorized) return undefined;
  const peer = typeof socket.getPeerCertificate === 'function' ? socket.getPeerCertificate() : undefined;
  if (!peer || Object.keys(peer).length === 0) return { status: 401, reason: 'client certificate required' };
  // Node sets a string code here on server sockets, although its types say Error.
  const err = socket.authorizationError as unknown;
  const code = typeof err === 'string' ? err : (err as { code?: unknown } | null)?.code;
  return { status: 403, reason: `client certificate not trusted${typeof code === 'string' ? ` (${code})` : ''}` };
}

/** Express middleware: lets only callers whose certificate the listener verified through. */
export function requireClientCertificate(): RequestHandler {
  return (req: Request, res: Response, next: NextFunction): void => {
    const refusal = judgeCaller(req.socket as TLSSocket);
    if (!refusal) {
      next();
      return;
    }
    // The body is not read: close the connection rather than drain an unauthenticated upload.
    res.set('connection', 'close').status(refusal.status).json({ error: refusal.reason });
  };
}
