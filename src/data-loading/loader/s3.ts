/**
 * S3 (and S3-compatible endpoints) through @aws-sdk/client-s3. Credentials
 * come only from the mounted Secret, or none (a public bucket: requests go
 * unsigned); the SDK's default chain (environment, files, instance metadata)
 * is never consulted.
 */
import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GetObjectCommand, ListObjectsV2Command, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import type { AwsCredentials } from './credentials.js';
import { LoadError, type ObjectInfo, type ObjectStore } from './stores.js';

export interface S3Options {
  bucket: string;
  endpoint?: string;
  credentials?: AwsCredentials;
}

const DENIED = new Set(['AccessDenied', 'InvalidAccessKeyId', 'SignatureDoesNotMatch', 'InvalidToken', 'ExpiredToken', 'AllAccessDisabled']);

/** An SDK error as the user should read it. */
export function s3Error(err: unknown, where: string): Error {
  if (err instanceof S3ServiceException) {
    const status = err.$metadata.httpStatusCode;
    if (err.name === 'NoSuchBucket') return new LoadError(`${where}: the bucket does not exist`);
    if (DENIED.has(err.name) || status === 403 || status === 401) {
      return new LoadError(`${where}: access denied (${err.name}): check the credentials Secret and the bucket's policy`);
    }
    return new LoadError(`${where}: ${err.name}${status ? ` (HTTP ${status})` : ''}`);
  }
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') return new LoadError(`${where}: cannot reach the store (${code})`);
  return err instanceof Error ? err : new Error(String(err));
}

/** A hex MD5 from a plain ETag; multipart ETags ("…-N") and others are no MD5. */
function md5FromEtag(etag: string | undefined): string | undefined {
  const e = (etag ?? '').replace(/^W\//, '').replace(/"/g, '').toLowerCase();
  return /^[0-9a-f]{32}$/.test(e) ? e : undefined;
}

export function s3Store(options: S3Options): ObjectStore {
  const { bucket, endpoint, credentials } = options;
  const client = new S3Client({
    region: credentials?.region ?? 'us-east-1',
    ...(endpoint ? { endpoint, forcePathStyle: true } : {}),
    credentials: credentials
      ? {
          accessKeyId: credentials.accessKeyId,
          secretAccessKey: credentials.secretAccessKey,
          ...(credentials.sessionToken ? { sessionToken: credentials.sessionToken } : {}),
        }
      : { accessKeyId: '', secretAccessKey: '' },
    // A public bucket: the request goes out unsigned.
    ...(credentials ? {} : { signer: { sign: (request) => Promise.resolve(request) } }),
    maxAttempts: 4,
  });
  return {
    async *list(prefix: string): AsyncIterable<ObjectInfo> {
      let token: string | undefined;
      do {
        const page = await client
          .send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token, MaxKeys: 1000 }))
          .catch((err: unknown) => {
            throw s3Error(err, `s3://${bucket}/${prefix}`);
          });
        for (const o of page.Contents ?? []) {
          if (o.Key === undefined) continue;
          const md5 = md5FromEtag(o.ETag);
          yield { key: o.Key, size: o.Size ?? 0, ...(md5 ? { md5 } : {}) };
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
    },
    async download(key: string, into: Writable): Promise<void> {
      const res = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key })).catch((err: unknown) => {
        throw s3Error(err, `s3://${bucket}/${key}`);
      });
      const body = res.Body as NodeJS.ReadableStream | undefined;
      if (!body) throw new LoadError(`s3://${bucket}/${key}: empty response`);
      await pipeline(body, into);
    },
    close(): void {
      client.destroy();
    },
  };
}
