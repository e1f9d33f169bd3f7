/**
 * `harbormaster load` against the real test servers (hm-s3: gofakes3 behind
 * a SigV4 check; hm-gcs: fake-gcs-server behind a service-account JWT check),
 * run as a child process as a Job would run it.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { keyPath } from '../../src/data-loading/loader/keys.js';
import { ensureBuilt, loadCommand, serviceAccount, startGcs, startS3, type GcsFixture, type S3Fixture } from '../support/object-stores.js';

ensureBuilt();
const scratch = mkdtempSync(join(tmpdir(), 'hm-loader-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
let n = 0;
const dir = (name: string): string => {
  const d = join(scratch, `${name}-${n++}`);
  mkdirSync(d);
  return d;
};

function run(args: string[], caFile: string): { code: number | null; out: string; err: string } {
  const c = loadCommand(args, caFile);
  const r = spawnSync(c.cmd, c.argv, { env: c.env, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const md5 = (b: Buffer | string): string => createHash('md5').update(b).digest('hex');

describe('keys → paths', () => {
  const root = '/data';
  for (const key of ['p/../x', 'p/a/../../x', 'p//etc/passwd', 'p/a\\..\\x', 'p/a\u0000b', 'p/./x', 'p/x.hm-partial', `p/${'a'.repeat(256)}`]) {
    it(`refuses ${JSON.stringify(key.slice(0, 30))}`, () => assert.ok('refused' in keyPath(key, 'p/', root)));
  }
  it('maps an ordinary key below the prefix', () => assert.deepEqual(keyPath('p/a/b c=1.txt', 'p/', root), { relative: 'a/b c=1.txt' }));
});

describe('harbormaster load: S3', () => {
  let s3: S3Fixture;
  let creds: string;
  const objects: Record<string, Buffer> = {};
  before(async () => {
    s3 = await startS3({ buckets: ['private-data', 'public-data', 'hostile'], public: ['public-data'] });
    for (let i = 0; i < 5; i++) objects[`train/part-${i}.bin`] = randomBytes(1000 + i);
    objects['train/nested/deeper/labels.csv'] = Buffer.from('a,b\n1,2\n');
    for (const [k, v] of Object.entries(objects)) {
      await s3.put('private-data', k, v);
      await s3.put('public-data', k, v);
    }
    await s3.put('private-data', 'other/not-me.txt', 'outside the prefix');
    await s3.put('hostile', 'train/ok.txt', 'fine');
    await s3.put('hostile', 'train/..%2F..%2Fescape.txt', 'x');
    await s3.put('hostile', 'train/a\\..\\..\\escape.txt', 'x');
    creds = dir('aws-creds');
    writeFileSync(join(creds, 'aws_access_key_id'), s3.accessKeyId);
    writeFileSync(join(creds, 'aws_secret_access_key'), s3.secretAccessKey);
  });
  after(() => s3.stop());

  const check = (target: string): void => {
    for (const [k, v] of Object.entries(objects)) assert.equal(md5(readFileSync(join(target, k.slice('train/'.length)))), md5(v), k);
    assert.equal(existsSync(join(target, 'not-me.txt')), false);
  };

  it('loads a private bucket with the aws-credential keys, and only what is under the prefix', () => {
    const target = dir('s3-private');
    const r = run(['--source', 's3://private-data/train', '--target', target, '--endpoint', s3.url, '--credentials-dir', creds], s3.caFile);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^listed 6 objects \(0\.0 MiB\) under s3:\/\/private-data\/train\/$/m);
    assert.match(r.out, /^done: 6 copied, 0 already complete/m);
    check(target);
  });
  it('loads a public bucket anonymously', () => {
    const target = dir('s3-public');
    const r = run(['--source', 's3://public-data/train/', '--target', target, '--endpoint', s3.url], s3.caFile);
    assert.equal(r.code, 0, r.err);
    check(target);
  });
  it('is refused a private bucket without credentials, and with a wrong secret', () => {
    const anon = run(['--source', 's3://private-data/train', '--target', dir('s3-anon'), '--endpoint', s3.url], s3.caFile);
    assert.equal(anon.code, 1);
    assert.equal(anon.err.trim(), "load: s3://private-data/train/: access denied (AccessDenied): check the credentials Secret and the bucket's policy");
    const wrong = dir('aws-wrong');
    writeFileSync(join(wrong, 'aws_access_key_id'), s3.accessKeyId);
    writeFileSync(join(wrong, 'aws_secret_access_key'), 'not-the-secret');
    const denied = run(['--source', 's3://private-data/train', '--target', dir('s3-denied'), '--endpoint', s3.url, '--credentials-dir', wrong], s3.caFile);
    assert.equal(denied.code, 1);
    assert.equal(
      denied.err.trim(),
      "load: s3://private-data/train/: access denied (SignatureDoesNotMatch): check the credentials Secret and the bucket's policy",
    );
    assert.ok(!denied.err.includes('not-the-secret') && !denied.out.includes('not-the-secret'));
  });
  it('says so when the bucket does not exist', () => {
    const r = run(['--source', 's3://no-such-bucket/x', '--target', dir('s3-missing'), '--endpoint', s3.url, '--credentials-dir', creds], s3.caFile);
    assert.equal(r.code, 1);
    assert.equal(r.err.trim(), 'load: s3://no-such-bucket/x/: the bucket does not exist');
  });
  it('refuses hostile object names before writing anything', () => {
    const target = dir('s3-hostile');
    const r = run(['--source', 's3://hostile/train', '--target', target, '--endpoint', s3.url, '--credentials-dir', creds], s3.caFile);
    assert.equal(r.code, 1, r.out);
    assert.match(r.err, /^load: refusing to load: \d object name\(s\) cannot be a file under the target; nothing was written:/);
    assert.match(r.err, /backslash/);
    assert.deepEqual(readdirSync(target), []);
    assert.equal(existsSync(join(scratch, 'escape.txt')), false);
  });
  it('never follows a symlink planted in the target', () => {
    const target = dir('s3-symlink');
    const outside = dir('outside');
    symlinkSync(outside, join(target, 'nested'));
    const r = run(['--source', 's3://private-data/train', '--target', target, '--endpoint', s3.url, '--credentials-dir', creds], s3.caFile);
    assert.equal(r.code, 1);
    assert.match(r.err, /"nested\/deeper\/labels\.csv": "nested" in the target is a symlink; refusing to follow it/);
    assert.deepEqual(readdirSync(outside), []);
  });
});

describe('harbormaster load: resume', () => {
  let s3: S3Fixture;
  let creds: string;
  const count = 120;
  const size = 512 * 1024;
  const sums = new Map<string, string>();
  before(async () => {
    s3 = await startS3({ buckets: ['big'], public: [] });
    await Promise.all(
      Array.from({ length: count }, async (_, i) => {
        const body = randomBytes(size);
        sums.set(`f-${String(i).padStart(3, '0')}.bin`, md5(body));
        await s3.put('big', `set/f-${String(i).padStart(3, '0')}.bin`, body);
      }),
    );
    creds = dir('aws-creds');
    writeFileSync(join(creds, 'aws_access_key_id'), s3.accessKeyId);
    writeFileSync(join(creds, 'aws_secret_access_key'), s3.secretAccessKey);
  });
  after(() => s3.stop());

  it('after a kill mid-copy, the next run skips complete files, redoes a corrupted one and leaves no temp file', async () => {
    const target = dir('resume');
    const args = ['--source', 's3://big/set', '--target', target, '--endpoint', s3.url, '--credentials-dir', creds, '--parallel', '2'];
    const c = loadCommand(args, s3.caFile);
    const child = spawn(c.cmd, c.argv, { env: c.env, stdio: 'ignore' });
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    const done = (): string[] => readdirSync(target).filter((f) => f.endsWith('.bin'));
    while (done().length < 10 && child.exitCode === null) await new Promise((r) => setTimeout(r, 5));
    child.kill('SIGKILL');
    assert.equal(await exited, null, 'killed, not finished');
    const before = done().length;
    assert.ok(before >= 10 && before < count, `${before} complete before the kill`);
    const corrupted = done()[0] ?? '';
    writeFileSync(join(target, corrupted), randomBytes(size));
    const r = run(args, s3.caFile);
    assert.equal(r.code, 0, r.err);
    const m = /^done: (\d+) copied, (\d+) already complete/m.exec(r.out);
    assert.ok(m, r.out);
    assert.equal(Number(m[2]), before - 1, r.out);
    assert.equal(Number(m[1]), count - before + 1);
    for (const [name, sum] of sums) assert.equal(md5(readFileSync(join(target, name))), sum, name);
    assert.deepEqual(
      readdirSync(target).filter((f) => !f.endsWith('.bin')),
      [],
    );
  });
});

describe('harbormaster load: GCS', () => {
  let gcs: GcsFixture;
  let creds: string;
  before(async () => {
    gcs = await startGcs({ buckets: ['gcs-private', 'gcs-public'], public: ['gcs-public'] });
    for (const b of ['gcs-private', 'gcs-public']) {
      await gcs.put(b, 'models/v1/weights.bin', randomBytes(3000));
      await gcs.put(b, 'models/v1/config.json', '{"layers": 3}');
    }
    creds = dir('gcp-creds');
    writeFileSync(join(creds, 'key.json'), JSON.stringify(gcs.account.key));
  });
  after(() => gcs.stop());

  it('loads a private bucket with the gcp-credential key.json, and a public one anonymously', () => {
    for (const [bucket, extra] of [
      ['gcs-private', ['--credentials-dir', creds]],
      ['gcs-public', []],
    ] as const) {
      const target = dir(bucket);
      const r = run(['--source', `gs://${bucket}/models/v1`, '--target', target, '--endpoint', gcs.url, ...extra], gcs.caFile);
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, /^done: 2 copied/m);
      assert.equal(readFileSync(join(target, 'config.json'), 'utf8'), '{"layers": 3}');
      const again = run(['--source', `gs://${bucket}/models/v1`, '--target', target, '--endpoint', gcs.url, ...extra], gcs.caFile);
      assert.match(again.out, /^done: 0 copied, 2 already complete/m);
    }
  });
  it('is refused with a key the server does not know, and anonymously on a private bucket', () => {
    const wrongKey = dir('gcp-wrong');
    // Same account name, another private key: the signature does not verify.
    const foreign = { ...gcs.account.key, private_key: serviceAccount().key.private_key };
    writeFileSync(join(wrongKey, 'key.json'), JSON.stringify(foreign));
    const denied = run(['--source', 'gs://gcs-private/models', '--target', dir('g-denied'), '--endpoint', gcs.url, '--credentials-dir', wrongKey], gcs.caFile);
    assert.equal(denied.code, 1);
    assert.equal(denied.err.trim(), "load: gs://gcs-private/models/: access denied (HTTP 401): check the credentials Secret and the bucket's IAM");
    const anon = run(['--source', 'gs://gcs-private/models', '--target', dir('g-anon'), '--endpoint', gcs.url], gcs.caFile);
    assert.equal(anon.code, 1);
    assert.match(anon.err, /access denied \(HTTP 401\)/);
  });
  it('says so when the bucket does not exist', () => {
    const r = run(['--source', 'gs://no-such-bucket/x', '--target', dir('g-missing'), '--endpoint', gcs.url, '--credentials-dir', creds], gcs.caFile);
    assert.equal(r.code, 1);
    assert.equal(r.err.trim(), 'load: gs://no-such-bucket/x/: the bucket does not exist');
  });
});

describe('harbormaster load: usage', () => {
  it('exits 2 on a bad source or target', () => {
    const bad = run(['--source', 'http://x/y', '--target', scratch], '/dev/null');
    assert.equal(bad.code, 2);
    assert.match(bad.err, /^load: --source "http:\/\/x\/y": must be s3:\/\/<bucket>\[\/<prefix>\] or gs:\/\/<bucket>\[\/<prefix>\]$/m);
    const noDir = run(['--source', 's3://bucket/x', '--target', join(scratch, 'missing')], '/dev/null');
    assert.equal(noDir.code, 2);
  });
});
