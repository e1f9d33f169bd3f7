/** What the loader needs of an object store; s3.ts and gcs.ts implement it with the official SDKs. */
import type { Writable } from 'node:stream';

export interface ObjectInfo {
  key: string;
  size: number;
  /** Hex MD5 of the content, when the store gives one (S3 single-part ETags, GCS md5Hash). */
  md5?: string;
  /** Base64 CRC32C (GCS), for objects without an MD5 (composite objects). */
  crc32c?: string;
}

export interface ObjectStore {
  /** Every object under the prefix, page by page. */
  list(prefix: string): AsyncIterable<ObjectInfo>;
  /** Streams the object's content into `into` (ended by the store). */
  download(key: string, into: Writable): Promise<void>;
  close(): void;
}

/** A failure with a message for the user and the exit status of `harbormaster load`. */
export class LoadError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}
