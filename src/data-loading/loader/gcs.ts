/**
 * Google Cloud Storage through @google-cloud/storage. A service-account key
 * from the mounted Secret signs its own JWT (no token exchange, so the only
 * host contacted is the storage endpoint); without one, requests are
 * anonymous (a public bucket).
 */
import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Storage, type File } from '@google-cloud/storage';
import type { GcpServiceAccount } from './credentials.js';
import { LoadError, type ObjectInfo, type ObjectStore } from './stores.js';

export interface GcsOptions {
  bucket: string;
  endpoint?: string;
  key?: GcpServiceAccount;
}

const DEFAULT_ENDPOINT = 'https://storage.googleapis.com';
const READ_SCOPE = 'https://www.googleapis.com/auth/devstorage.read_only';

export function gcsError(err: unknown, where: string): Error {
  const status = (err as { code?: unknown }).code;
  if (status === 404) return new LoadError(`${where}: the bucket does not exist`);
  if (status === 401 || status === 403) return new LoadError(`${where}: access denied (HTTP ${status}): check the credentials Secret and the bucket's IAM`);
  if (typeof status === 'string') return new LoadError(`${where}: cannot reach the store (${status})`);
  if (typeof status === 'number') return new LoadError(`${where}: HTTP ${status}`);
  return err instanceof Error ? err : new Error(String(err));
}

function hexFromBase64(b64: unknown): string | undefined {
  return typeof b64 === 'string' && b64 !== '' ? Buffer.from(b64, 'base64').toString('hex') : undefined;
}

function storage({ endpoint, key }: GcsOptions): Storage {
  if (!key) {
    // The client skips authentication on an endpoint it considers custom (useAuthWithCustomEndpoint
    // unset); the default one spelled with a trailing slash counts as custom, so a public bucket is
    // read anonymously instead of through whatever default credentials the machine has.
    return new Storage({ apiEndpoint: endpoint ?? `${DEFAULT_ENDPOINT}/`, useAuthWithCustomEndpoint: false, projectId: 'anonymous' });
  }
  const s = new Storage({
    ...(endpoint ? { apiEndpoint: endpoint, useAuthWithCustomEndpoint: true } : {}),
    projectId: key.project_id ?? 'unknown',
    credentials: {
      type: 'service_account',
      client_email: key.client_email,
      private_key: key.private_key,
      ...(key.private_key_id ? { private_key_id: key.private_key_id } : {}),
    },
    scopes: [READ_SCOPE],
  });
  // A self-signed JWT with the scope, instead of exchanging one at Google's token endpoint.
  s.authClient.useJWTAccessWithScope = true;
  return s;
}

export function gcsStore(options: GcsOptions): ObjectStore {
  const bucket = storage(options).bucket(options.bucket);
  return {
    async *list(prefix: string): AsyncIterable<ObjectInfo> {
      let pageToken: string | undefined;
      do {
        let files: File[];
        let next: { pageToken?: string } | undefined;
        try {
          [files, next] = (await bucket.getFiles({ prefix, autoPaginate: false, maxResults: 1000, ...(pageToken ? { pageToken } : {}) })) as unknown as [
            File[],
            { pageToken?: string } | undefined,
          ];
        } catch (err) {
          throw gcsError(err, `gs://${options.bucket}/${prefix}`);
        }
        for (const f of files) {
          const md5 = hexFromBase64(f.metadata.md5Hash);
          const crc32c = typeof f.metadata.crc32c === 'string' ? f.metadata.crc32c : undefined;
          yield { key: f.name, size: Number(f.metadata.size ?? 0), ...(md5 ? { md5 } : {}), ...(crc32c ? { crc32c } : {}) };
        }
        pageToken = next?.pageToken;
      } while (pageToken);
    },
    async download(key: string, into: Writable): Promise<void> {
      // Checked by the loader against md5Hash/crc32c itself, on what reached the disk.
      const stream = bucket.file(key).createReadStream({ validation: false });
      try {
        await pipeline(stream, into);
      } catch (err) {
        throw gcsError(err, `gs://${options.bucket}/${key}`);
      }
    },
    close(): void {},
  };
}
