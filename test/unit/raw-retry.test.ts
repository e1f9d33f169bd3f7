/**
 * rawRequest against a real HTTPS server answering as the API server does
 * when it did not process a request: 429 "storage is (re)initializing"
 * while a CRD's storage is rebuilt, or a 5xx, with Retry-After (header, or
 * the Status body's details.retryAfterSeconds). Such
 * an answer is retried (bounded); any other error is final at once.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import { ApiError, MAX_TRIES, rawRequest, retryAfterMs } from '../../src/cluster/raw.js';
import { tempCerts, type TempCerts } from '../support/tls.js';

interface Script {
  status: number;
  retryAfter?: string;
  message?: string;
  bodyRetryAfterSeconds?: number;
}

describe('rawRequest: the API server says "not now"', () => {
  let certs: TempCerts;
  let server: Server;
  let kc: KubeConfig;
  let script: Script[] = [];
  let seen: Array<{ method: string; body: string }> = [];

  before(async () => {
    certs = tempCerts();
    server = createServer({ cert: readFileSync(join(certs.dir, 'tls.crt')), key: readFileSync(join(certs.dir, 'tls.key')) }, (req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => {
        seen.push({ method: req.method ?? '', body });
        const next = script.shift() ?? { status: 200 };
        res.writeHead(next.status, { 'content-type': 'application/json', ...(next.retryAfter !== undefined ? { 'retry-after': next.retryAfter } : {}) });
        const details = next.bodyRetryAfterSeconds !== undefined ? { details: { retryAfterSeconds: next.bodyRetryAfterSeconds } } : {};
        res.end(
          JSON.stringify(next.status < 400 ? { kind: 'Thing', echo: body } : { kind: 'Status', message: next.message ?? `status ${next.status}`, ...details }),
        );
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'c', server: `https://127.0.0.1:${(server.address() as AddressInfo).port}`, caData: Buffer.from(certs.ca).toString('base64') }],
      users: [{ name: 'u', token: 't' }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
      currentContext: 'x',
    });
  });
  after(() => {
    server.close();
    certs.cleanup();
  });

  const reset = (s: Script[]): void => {
    script = s;
    seen = [];
  };

  it('sends a POST again, same body, after 429 "storage is (re)initializing" and a 503, and returns the success', async () => {
    reset([
      { status: 429, retryAfter: '0', message: 'storage is (re)initializing' },
      { status: 503, bodyRetryAfterSeconds: 0 },
    ]);
    const res = await rawRequest<{ echo: string }>(kc, { method: 'POST', path: '/apis/x/v1/things', body: { a: 1 } });
    assert.equal(res.status, 200);
    assert.equal(seen.length, 3);
    assert.deepEqual(
      seen.map((s) => s.body),
      ['{"a":1}', '{"a":1}', '{"a":1}'],
    );
  });

  it('gives up after MAX_TRIES with the last error', async () => {
    reset(Array.from({ length: MAX_TRIES + 2 }, () => ({ status: 503, retryAfter: '0', message: 'storage is (re)initializing' })));
    await assert.rejects(rawRequest(kc, { method: 'GET', path: '/x' }), (err: unknown) => err instanceof ApiError && err.code === 503);
    assert.equal(seen.length, MAX_TRIES);
  });

  it('does not retry an error the server gives no Retry-After for, nor a 4xx other than 429', async () => {
    reset([{ status: 500, message: 'boom' }]);
    await assert.rejects(rawRequest(kc, { method: 'PUT', path: '/x', body: {} }), /boom/);
    assert.equal(seen.length, 1);
    reset([{ status: 409, retryAfter: '0', message: 'conflict' }]);
    await assert.rejects(rawRequest(kc, { method: 'PUT', path: '/x', body: {} }), /conflict/);
    assert.equal(seen.length, 1);
  });

  it('reads Retry-After as the API server writes it (whole seconds), capped at 10 s', () => {
    assert.equal(retryAfterMs(429, '1'), 1000);
    assert.equal(retryAfterMs(503, '3600'), 10_000);
    assert.equal(retryAfterMs(503, 'Wed, 21 Oct 2015 07:28:00 GMT'), undefined);
    assert.equal(retryAfterMs(503, undefined), undefined);
    assert.equal(retryAfterMs(404, '1'), undefined);
  });
});
