/**
 * The object-store test servers (scripts/build-object-stores.sh) on loopback
 * with TLS from a CA made here, and seeding over their real APIs: S3 through
 * @aws-sdk/client-s3 signed with the test key, GCS through the JSON upload
 * API with a JWT signed by the test service account.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createSign, generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { tempCerts, type TempCerts } from './tls.js';

/** Builds (first run only) and returns the folder holding hm-s3 and hm-gcs. */
export function objectStoreBinaries(): string {
  const r = spawnSync('bash', [join(PACKAGE_ROOT, 'scripts', 'build-object-stores.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (r.status !== 0) throw new Error(`scripts/build-object-stores.sh failed (${r.status})`);
  return r.stdout.trim().split('\n').pop() ?? '';
}

export interface RunningStore {
  url: string;
  /** The server process, for CPU accounting in benches. */
  pid: number;
  /** PEM of the CA that signed the server's certificate (NODE_EXTRA_CA_CERTS for the loader). */
  caFile: string;
  ca: string;
  stop(): Promise<void>;
}

async function startBinary(bin: string, args: string[], certs: TempCerts): Promise<RunningStore> {
  const child: ChildProcess = spawn(bin, ['-cert', join(certs.dir, 'tls.crt'), '-key', join(certs.dir, 'tls.key'), ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const url = await new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! });
    rl.on('line', (line) => {
      const m = /^listening (https:\/\/\S+)$/.exec(line);
      if (m?.[1]) resolve(m[1]);
    });
    child.on('exit', (code) => reject(new Error(`${bin} exited with ${code}: ${stderr}`)));
  });
  return {
    url,
    pid: child.pid ?? 0,
    caFile: join(certs.dir, 'ca.crt'),
    ca: certs.ca,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

export interface S3Fixture extends RunningStore {
  accessKeyId: string;
  secretAccessKey: string;
  client: S3Client;
  put(bucket: string, key: string, body: Buffer | string): Promise<void>;
}

/** hm-s3 with `buckets`, of which `public` are readable anonymously; one key pair is accepted. */
export async function startS3(options: { buckets: string[]; public: string[]; certs?: TempCerts }): Promise<S3Fixture> {
  const certs = options.certs ?? tempCerts();
  const accessKeyId = 'AKIA' + randomBytes(8).toString('hex').toUpperCase();
  const secretAccessKey = randomBytes(24).toString('base64url');
  const bin = join(objectStoreBinaries(), 'hm-s3');
  const running = await startBinary(
    bin,
    ['-access-key', accessKeyId, '-secret-key', secretAccessKey, '-buckets', options.buckets.join(','), '-public', options.public.join(',')],
    certs,
  );
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const client = new S3Client({
    region: 'us-east-1',
    endpoint: running.url,
    forcePathStyle: true,
    credentials: { accessKeyId, secretAccessKey },
    requestHandler: { httpsAgent: new Agent({ ca: certs.ca, keepAlive: true, maxSockets: 16 }) },
    requestChecksumCalculation: 'WHEN_REQUIRED',
  });
  return {
    ...running,
    accessKeyId,
    secretAccessKey,
    client,
    put: async (bucket, key, body) => {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    },
    stop: async () => {
      client.destroy();
      await running.stop();
    },
  };
}

export interface ServiceAccount {
  key: Record<string, string>;
  publicPem: string;
}

export function serviceAccount(email = 'loader@test-project.iam.gserviceaccount.com'): ServiceAccount {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  return {
    key: {
      type: 'service_account',
      project_id: 'test-project',
      private_key_id: randomBytes(20).toString('hex'),
      private_key: privateKey,
      client_email: email,
      client_id: '1234567890',
      token_uri: 'https://oauth2.googleapis.com/token',
    },
    publicPem: publicKey,
  };
}

function jwt(sa: ServiceAccount): string {
  const b64 = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const unsigned = `${b64({ alg: 'RS256', typ: 'JWT' })}.${b64({ iss: sa.key.client_email, sub: sa.key.client_email, scope: 'https://www.googleapis.com/auth/devstorage.full_control', iat: now, exp: now + 600 })}`;
  return `${unsigned}.${createSign('RSA-SHA256')
    .update(unsigned)
    .sign(sa.key.private_key ?? '', 'base64url')}`;
}

export interface GcsFixture extends RunningStore {
  account: ServiceAccount;
  put(bucket: string, name: string, body: Buffer | string): Promise<void>;
}

/** hm-gcs with `buckets`, of which `public` are readable anonymously; one service account is accepted. */
export async function startGcs(options: { buckets: string[]; public: string[]; certs?: TempCerts }): Promise<GcsFixture> {
  const certs = options.certs ?? tempCerts();
  const account = serviceAccount();
  const pubFile = join(certs.dir, 'sa.pub.pem');
  writeFileSync(pubFile, account.publicPem);
  const bin = join(objectStoreBinaries(), 'hm-gcs');
  const running = await startBinary(
    bin,
    ['-account', `${account.key.client_email}=${pubFile}`, '-buckets', options.buckets.join(','), '-public', options.public.join(',')],
    certs,
  );
  const agent = new Agent({ ca: certs.ca, keepAlive: true });
  const put = (bucket: string, name: string, body: Buffer | string): Promise<void> =>
    new Promise((resolve, reject) => {
      const url = new URL(`/upload/storage/v1/b/${encodeURIComponent(bucket)}/o?uploadType=media&name=${encodeURIComponent(name)}`, running.url);
      const req = request(
        url,
        { method: 'POST', agent, headers: { authorization: `Bearer ${jwt(account)}`, 'content-type': 'application/octet-stream' } },
        (res) => {
          res.resume();
          res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`upload ${name}: HTTP ${res.statusCode}`))));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  return { ...running, account, put, stop: async () => (agent.destroy(), await running.stop()) };
}

function newestSource(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestSource(p) : e.name.endsWith('.ts') ? statSync(p).mtimeMs : 0);
  }
  return newest;
}

/** The compiled CLI (bin/harbormaster.js runs dist/), rebuilt when a source file is newer: a child starts in half the time tsx takes. */
export function ensureBuilt(): void {
  const built = join(PACKAGE_ROOT, 'dist', 'cli', 'main.js');
  const mtime = existsSync(built) ? statSync(built).mtimeMs : 0;
  if (mtime >= newestSource(join(PACKAGE_ROOT, 'src'))) return;
  execFileSync(process.execPath, [join(PACKAGE_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(PACKAGE_ROOT, 'tsconfig.build.json')]);
}

/** Runs `harbormaster load` (the built bin, as a Job runs it) in a child process trusting the test CA. */
export function loadCommand(args: string[], caFile: string): { cmd: string; argv: string[]; env: NodeJS.ProcessEnv } {
  return {
    cmd: process.execPath,
    argv: [join(PACKAGE_ROOT, 'bin', 'harbormaster.js'), 'load', ...args],
    // The SDK's notice that it will need Node 22 from 2027 on is not what these tests look at.
    env: { ...process.env, NODE_EXTRA_CA_CERTS: caFile, AWS_EC2_METADATA_DISABLED: 'true', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  };
}
