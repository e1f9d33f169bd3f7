/**
 * Writing one object below the target: folders created without following
 * any symlink a Pod may have planted there, content written to a temp name
 * (never through a symlink), checked against the store's size and checksum,
 * read back from disk and checked again, then renamed into place.
 */
import { createHash, type Hash } from 'node:crypto';
import { constants } from 'node:fs';
import { lstat, mkdir, open, readdir, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CRC32C } from '@google-cloud/storage';
import { PARTIAL_SUFFIX } from './keys.js';
import { LoadError, type ObjectInfo } from './stores.js';

/** Creates the folders of `rel` under `root`; refuses a symlink or a file in their place. */
export async function ensureParents(root: string, rel: string): Promise<void> {
  const parts = rel.split('/').slice(0, -1);
  let dir = root;
  for (const p of parts) {
    dir = join(dir, p);
    const st = await lstat(dir).catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? undefined : Promise.reject(err)));
    if (!st) await mkdir(dir).catch((err: NodeJS.ErrnoException) => (err.code === 'EEXIST' ? undefined : Promise.reject(err)));
    else if (st.isSymbolicLink())
      throw new LoadError(`${JSON.stringify(rel)}: ${JSON.stringify(dir.slice(root.length + 1))} in the target is a symlink; refusing to follow it`);
    else if (!st.isDirectory())
      throw new LoadError(
        `${JSON.stringify(rel)}: ${JSON.stringify(dir.slice(root.length + 1))} is a file in the target (or another object's name), not a folder`,
      );
  }
  const again = await lstat(dir);
  if (!again.isDirectory() || again.isSymbolicLink()) throw new LoadError(`${JSON.stringify(rel)}: its folder changed under the loader`);
}

/** The checksum the store gives for this object, computed on the way: MD5, else CRC32C, else size only. */
interface Digests {
  md5?: Hash;
  crc32c?: CRC32C;
  bytes: number;
}

function digests(info: ObjectInfo): Digests {
  if (info.md5) return { md5: createHash('md5'), bytes: 0 };
  if (info.crc32c) return { crc32c: new CRC32C(), bytes: 0 };
  return { bytes: 0 };
}

function update(d: Digests, chunk: Buffer): void {
  d.md5?.update(chunk);
  d.crc32c?.update(chunk);
  d.bytes += chunk.length;
}

function result(d: Digests): { md5?: string; crc32c?: string; bytes: number } {
  return { ...(d.md5 ? { md5: d.md5.digest('hex') } : {}), ...(d.crc32c ? { crc32c: d.crc32c.toString() } : {}), bytes: d.bytes };
}

/** What is wrong with content of these digests for `info`, or undefined. */
function mismatch(info: ObjectInfo, d: { md5?: string; crc32c?: string; bytes: number }): string | undefined {
  if (d.bytes !== info.size) return `size ${d.bytes} where the store says ${info.size}`;
  if (info.md5 && d.md5 !== info.md5) return `MD5 ${d.md5} where the store says ${info.md5}`;
  if (!info.md5 && info.crc32c && d.crc32c !== info.crc32c) return `CRC32C ${d.crc32c} where the store says ${info.crc32c}`;
  return undefined;
}

async function digestFile(path: string, info: ObjectInfo): Promise<{ md5?: string; crc32c?: string; bytes: number }> {
  const d = digests(info);
  const fh = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  await pipeline(
    fh.createReadStream({ highWaterMark: 1 << 20 }),
    new Writable({
      write(chunk: Buffer, _enc, cb) {
        update(d, chunk);
        cb();
      },
    }),
  );
  return result(d);
}

/** A regular file already at `path` with the object's size and checksum (a resumed load skips it). */
export async function isComplete(path: string, info: ObjectInfo): Promise<boolean> {
  const st = await lstat(path).catch(() => undefined);
  if (!st?.isFile() || st.size !== info.size) return false;
  return mismatch(info, await digestFile(path, info)) === undefined;
}

/** Downloads into `<path>.hm-partial`, checks it twice, renames it to `path`. */
export async function writeObject(path: string, info: ObjectInfo, download: (into: Writable) => Promise<void>, shown: string): Promise<void> {
  const tmp = path + PARTIAL_SUFFIX;
  const existing = await lstat(path).catch(() => undefined);
  if (existing?.isDirectory()) throw new LoadError(`${shown}: a folder of that name is in the target`);
  await unlink(tmp).catch(() => undefined);
  const fh = await open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644);
  const d = digests(info);
  try {
    await download(
      new Writable({
        highWaterMark: 1 << 20,
        write(chunk: Buffer, _enc, cb) {
          update(d, chunk);
          fh.write(chunk).then(() => cb(), cb);
        },
        // Chunks that queued up while a write was under way go out in one writev.
        writev(chunks, cb) {
          const buffers = chunks.map((c) => c.chunk as Buffer);
          for (const b of buffers) update(d, b);
          fh.writev(buffers).then(() => cb(), cb);
        },
        final(cb) {
          fh.sync().then(() => cb(), cb);
        },
      }),
    );
  } finally {
    await fh.close();
  }
  const received = mismatch(info, result(d));
  const onDisk = received ?? mismatch(info, await digestFile(tmp, info));
  if (onDisk) {
    await unlink(tmp).catch(() => undefined);
    throw new LoadError(`${shown}: ${received ? 'received' : 'written'} content has ${onDisk}`);
  }
  await rename(tmp, path);
}

/** Removes temp files a killed load left behind (without following symlinks). */
export async function sweepPartials(dir: string): Promise<number> {
  let removed = 0;
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) removed += await sweepPartials(p);
    else if (e.isFile() && e.name.endsWith(PARTIAL_SUFFIX)) {
      await unlink(p);
      removed++;
    }
  }
  return removed;
}
