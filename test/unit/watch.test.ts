/**
 * The kit's list+watch against a real HTTPS server playing the API server:
 * paged lists (limit/continue), a watch stream of ADDED/MODIFIED/DELETED/
 * BOOKMARK lines, 410 Gone (an ERROR event, or the watch request's status)
 * that lists again and reports what the list no longer holds as deleted,
 * and connections that drop or are refused, restarted with a growing delay
 * from the last resourceVersion (time is a manual clock: nothing sleeps).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import type { Clock } from '../../src/controller/clock.js';
import { watch, watchKeys, type WatchFeed, type WatchOptions } from '../../src/controller/watch.js';
import { LIST_PAGE_SIZE } from '../../src/cluster/raw.js';
import { silentLogger } from '../../src/observability/log.js';
import { tempCerts, type TempCerts } from '../support/tls.js';

const PATH = '/api/v1/configmaps';

interface Obj {
  name: string;
  namespace: string;
  rv: string;
}
const toObject = (o: Obj): KubernetesObject => ({ metadata: { name: o.name, namespace: o.namespace, resourceVersion: o.rv, uid: `uid-${o.name}` } });

/** What the fake API server answers the next watch request with. */
type WatchAnswer = { status: number; body: object } | 'stream';

class FakeApiServer {
  objects: Obj[] = [];
  listRv = '100';
  lists: Array<Record<string, string>> = [];
  watches: Array<Record<string, string>> = [];
  answers: WatchAnswer[] = [];
  /** The open watch stream, if any. */
  stream: ServerResponse | undefined;
  server: Server;

  constructor(certs: TempCerts) {
    this.server = createServer({ cert: readFileSync(join(certs.dir, 'tls.crt')), key: readFileSync(join(certs.dir, 'tls.key')) }, (req, res) => {
      const url = new URL(req.url ?? '/', 'https://x');
      const q = Object.fromEntries(url.searchParams);
      assert.equal(url.pathname, PATH);
      if (q.watch !== 'true') return this.#list(q, res);
      this.watches.push(q);
      const answer = this.answers.shift() ?? 'stream';
      if (answer !== 'stream') {
        res.writeHead(answer.status, { 'content-type': 'application/json' });
        return res.end(JSON.stringify(answer.body));
      }
      res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
      res.flushHeaders();
      this.stream = res;
    });
  }

  #list(q: Record<string, string>, res: ServerResponse): void {
    this.lists.push(q);
    const limit = Number(q.limit);
    const from = Number(q.continue ?? 0);
    const page = this.objects.slice(from, from + limit);
    const more = from + limit < this.objects.length;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        kind: 'ConfigMapList',
        metadata: { resourceVersion: this.listRv, ...(more ? { continue: String(from + limit) } : {}) },
        items: page.map(toObject),
      }),
    );
  }

  send(type: string, object: object): void {
    assert.ok(this.stream, 'no watch stream open');
    this.stream.write(`${JSON.stringify({ type, object })}\n`);
  }

  /** Ends the stream as the server does when timeoutSeconds ran out. */
  end(): void {
    this.stream?.end();
    this.stream = undefined;
  }

  /** Drops the connection mid-stream. */
  drop(): void {
    this.stream?.socket?.destroy();
    this.stream = undefined;
  }
}

/** A clock that only moves when told; timers run when the test says so. */
class ManualClock implements Clock {
  t = 1_000_000;
  timers: Array<{ fn: () => void; ms: number; cleared: boolean }> = [];
  now = (): number => this.t;
  setTimeout = (fn: () => void, ms: number): unknown => {
    const timer = { fn, ms, cleared: false };
    this.timers.push(timer);
    return timer;
  };
  clearTimeout = (h: unknown): void => {
    (h as { cleared: boolean }).cleared = true;
  };
  pending(): Array<{ fn: () => void; ms: number; cleared: boolean }> {
    return this.timers.filter((t) => !t.cleared);
  }
  /** Runs the one pending timer; returns its delay. */
  fire(): number {
    const p = this.pending();
    assert.equal(p.length, 1, `one restart pending, not ${p.length}`);
    const timer = p[0]!;
    timer.cleared = true;
    timer.fn();
    return timer.ms;
  }
}

async function until(what: string, check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('watch: list+watch against an HTTPS API server', () => {
  let certs: TempCerts;
  let api: FakeApiServer;
  let kc: KubeConfig;
  let feed: WatchFeed | undefined;

  before(async () => {
    certs = tempCerts();
    api = new FakeApiServer(certs);
    await new Promise<void>((r) => api.server.listen(0, '127.0.0.1', r));
    kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'c', server: `https://127.0.0.1:${(api.server.address() as AddressInfo).port}`, caData: Buffer.from(certs.ca).toString('base64') }],
      users: [{ name: 'u', token: 't' }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
      currentContext: 'x',
    });
  });
  afterEach(async () => {
    await feed?.stop();
    feed = undefined;
    api.end();
    Object.assign(api, { objects: [], listRv: '100', lists: [], watches: [], answers: [] });
  });
  after(() => {
    api.server.closeAllConnections();
    api.server.close();
    certs.cleanup();
  });

  const events = (): { log: string[]; deleted: KubernetesObject[]; on: NonNullable<WatchOptions['on']> } => {
    const log: string[] = [];
    const deleted: KubernetesObject[] = [];
    return {
      log,
      deleted,
      on: {
        add: (o) => log.push(`add ${o.metadata?.namespace}/${o.metadata?.name}`),
        update: (o) => log.push(`update ${o.metadata?.namespace}/${o.metadata?.name}`),
        delete: (o) => {
          log.push(`delete ${o.metadata?.namespace}/${o.metadata?.name}`);
          deleted.push(o);
        },
      },
    };
  };
  const options = (on: WatchOptions['on'], clock: Clock, extra: Partial<WatchOptions> = {}): WatchOptions => ({
    kubeconfig: kc,
    path: PATH,
    on,
    logger: silentLogger(),
    name: 'test',
    clock,
    ...extra,
  });

  it('lists every page, then watches from the list resourceVersion with bookmarks; applies ADDED/MODIFIED/DELETED and keeps the BOOKMARK resourceVersion', async () => {
    const n = 2 * LIST_PAGE_SIZE + 7;
    api.objects = Array.from({ length: n }, (_, i) => ({ name: `o${i}`, namespace: `ns${i % 3}`, rv: String(i + 1) }));
    const e = events();
    let connected = 0;
    let listed = 0;
    const clock = new ManualClock();
    const keys = watchKeys(options(e.on, clock, { onConnected: () => connected++, onListed: () => listed++ }));
    feed = keys;
    await keys.start();
    assert.equal(api.lists.length, 3, 'three pages');
    assert.deepEqual(
      api.lists.map((q) => [q.limit, q.continue]),
      [
        [String(LIST_PAGE_SIZE), undefined],
        [String(LIST_PAGE_SIZE), String(LIST_PAGE_SIZE)],
        [String(LIST_PAGE_SIZE), String(2 * LIST_PAGE_SIZE)],
      ],
    );
    assert.equal(keys.size, n);
    assert.equal(e.log.length, n);
    assert.ok(e.log.every((l) => l.startsWith('add ')));
    assert.equal(listed, 1);
    assert.equal(connected, 1);
    assert.equal(api.watches.length, 1);
    const w = api.watches[0]!;
    assert.equal(w.resourceVersion, '100');
    assert.equal(w.allowWatchBookmarks, 'true');
    assert.ok(Number(w.timeoutSeconds) >= 300 && Number(w.timeoutSeconds) <= 600, w.timeoutSeconds);

    e.log.length = 0;
    api.send('ADDED', toObject({ name: 'new', namespace: 'ns1', rv: '101' }));
    api.send('MODIFIED', toObject({ name: 'o4', namespace: 'ns1', rv: '102' }));
    api.send('MODIFIED', toObject({ name: 'o4', namespace: 'ns1', rv: '102' })); // same version: no update
    api.send('DELETED', toObject({ name: 'o5', namespace: 'ns2', rv: '103' }));
    api.send('BOOKMARK', { kind: 'ConfigMap', apiVersion: 'v1', metadata: { resourceVersion: '150' } });
    await until('the bookmark', () => keys.resourceVersion === '150');
    assert.deepEqual(e.log, ['add ns1/new', 'update ns1/o4', 'delete ns2/o5']);
    assert.equal(keys.size, n);
    assert.equal(e.deleted[0]?.metadata?.uid, 'uid-o5', 'a watched delete passes the object the server sent');

    // The server ends the watch (its timeoutSeconds): watched again at once from the bookmark, no list.
    clock.t += 60_000;
    api.end();
    await until('the second watch', () => api.watches.length === 2 && connected === 2);
    assert.equal(api.watches[1]!.resourceVersion, '150');
    assert.equal(api.lists.length, 3);
    assert.equal(clock.pending().length, 0, 'no backoff for a normal end');
  });

  it('on a 410 ERROR event lists again: a key the list no longer holds is deleted, a changed one updated, then watches from the new list', async () => {
    api.objects = [
      { name: 'a', namespace: 'ns', rv: '1' },
      { name: 'b', namespace: 'ns', rv: '2' },
      { name: 'c', namespace: 'ns', rv: '3' },
    ];
    const e = events();
    const errors: unknown[] = [];
    const clock = new ManualClock();
    const cache = watch(options(e.on, clock, { onError: (err) => errors.push(err) }));
    feed = cache;
    await cache.start();
    assert.deepEqual(
      cache
        .list('ns')
        .map((o) => o.metadata?.name)
        .sort(),
      ['a', 'b', 'c'],
    );
    e.log.length = 0;
    // While the watch was behind, b was deleted and c changed; the server says the watch's version is too old.
    api.objects = [
      { name: 'a', namespace: 'ns', rv: '1' },
      { name: 'c', namespace: 'ns', rv: '9' },
    ];
    api.listRv = '200';
    api.send('ERROR', { kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 410, reason: 'Expired', message: 'too old resource version: 100 (180)' });
    await until('the re-list and the new watch', () => api.lists.length === 2 && api.watches.length === 2);
    assert.deepEqual(e.log.sort(), ['delete ns/b', 'update ns/c']);
    assert.equal(e.deleted[0]?.metadata?.uid, 'uid-b', 'an objects cache passes the deleted object it kept');
    assert.equal(cache.get('b', 'ns'), undefined);
    assert.equal(cache.get('c', 'ns')?.metadata?.resourceVersion, '9');
    assert.equal(api.watches[1]!.resourceVersion, '200');
    assert.deepEqual(errors, [], '410 is not an error');
    assert.equal(clock.pending().length, 0);
  });

  it('a keys-only feed reports a re-list deletion with the name, namespace and resourceVersion it kept; 410 on the watch request itself lists again', async () => {
    api.objects = [
      { name: 'a', namespace: 'ns', rv: '1' },
      { name: 'b', namespace: 'other', rv: '2' },
    ];
    const e = events();
    const clock = new ManualClock();
    const keys = watchKeys(options(e.on, clock));
    feed = keys;
    await keys.start();
    e.log.length = 0;
    // The connection drops; by the restart, the server no longer has version 100 and b is gone.
    api.objects = [{ name: 'a', namespace: 'ns', rv: '1' }];
    api.listRv = '300';
    api.answers.push({ status: 410, body: { kind: 'Status', code: 410, reason: 'Expired', message: 'too old resource version: 100 (250)' } });
    api.drop();
    await until('a restart pending', () => clock.pending().length === 1);
    clock.fire();
    await until('the re-list and the new watch', () => api.watches.length === 3 && api.stream !== undefined);
    assert.equal(api.watches[1]!.resourceVersion, '100', 'the restart watched from the last version first');
    assert.equal(api.watches[2]!.resourceVersion, '300');
    assert.equal(api.lists.length, 2);
    assert.deepEqual(e.log, ['delete other/b']);
    assert.deepEqual(e.deleted[0], { metadata: { namespace: 'other', name: 'b', resourceVersion: '2' } });
    assert.equal(keys.size, 1);
  });

  it('a dropped or refused watch restarts from the last resourceVersion with a delay that doubles, and resets after a healthy run', async () => {
    api.objects = [{ name: 'a', namespace: 'ns', rv: '1' }];
    const e = events();
    const errors: string[] = [];
    let connected = 0;
    const clock = new ManualClock();
    const keys = watchKeys(
      options(e.on, clock, {
        backoff: { initialMs: 100, maxMs: 1000, healthyMs: 10_000 },
        onError: (err) => errors.push((err as Error).message),
        onConnected: () => connected++,
      }),
    );
    feed = keys;
    await keys.start();
    api.send('MODIFIED', toObject({ name: 'a', namespace: 'ns', rv: '105' }));
    await until('the event', () => keys.resourceVersion === '105');

    api.drop();
    await until('a restart pending', () => clock.pending().length === 1);
    assert.equal(errors.length, 1);
    assert.equal(clock.fire(), 100);
    await until('watching again', () => connected === 2);
    assert.equal(api.watches.at(-1)!.resourceVersion, '105');

    // Dropped, then refused twice (the API server restarting), then accepted: 200, 400, 800 ms.
    api.answers.push({ status: 503, body: { kind: 'Status', code: 503, message: 'apiserver is shutting down' } });
    api.answers.push({ status: 500, body: { kind: 'Status', code: 500, message: 'internal error' } });
    api.drop();
    await until('a restart pending', () => clock.pending().length === 1);
    assert.equal(clock.fire(), 200);
    await until('a restart pending', () => clock.pending().length === 1);
    assert.equal(clock.fire(), 400);
    await until('a restart pending', () => clock.pending().length === 1);
    assert.equal(clock.fire(), 800);
    await until('watching again', () => connected === 3);
    assert.equal(api.watches.at(-1)!.resourceVersion, '105');
    assert.equal(api.lists.length, 1, 'no list: the version was never too old');
    assert.match(errors[1] ?? '', /aborted|closed/, 'the dropped connection');
    assert.deepEqual(errors.slice(2), ['apiserver is shutting down', 'internal error']);

    // A non-410 ERROR event also restarts; after a healthy run the delay starts again from initialMs.
    clock.t += 20_000;
    api.send('ERROR', { kind: 'Status', code: 500, message: 'etcd is unhappy' });
    await until('a restart pending', () => clock.pending().length === 1);
    assert.equal(clock.fire(), 100);
    await until('watching again', () => connected === 4);

    // A stopped feed never restarts.
    await keys.stop();
    api.drop();
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(clock.pending().length, 0);
    assert.equal(errors.length, 5);
  });
});
