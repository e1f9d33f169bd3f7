/**
 * `harbormaster load`: copies every object under an s3:// or gs:// prefix
 * into a directory (the mounted PVC) with bounded parallelism. Resumable: a
 * file already there with the object's size and checksum is skipped. Every
 * key is mapped through keys.ts first; one that would leave the target fails
 * the load before anything is written.
 */
import { realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseSource, type DataSource } from '../../policies/data-loading/source.js';
import { readAwsCredentials, readGcpKey } from './credentials.js';
import { ensureParents, isComplete, sweepPartials, writeObject } from './files.js';
import { isFolderMarker, keyPath } from './keys.js';
import { LoadError, type ObjectInfo, type ObjectStore } from './stores.js';

export interface LoadOptions {
  source: string;
  target: string;
  endpoint?: string;
  credentialsDir?: string;
  /** Objects copied at once (1–64, default 8). */
  parallel?: number;
  log: (line: string) => void;
  progressEveryMs?: number;
}

export interface LoadResult {
  objects: number;
  bytes: number;
  copied: number;
  copiedBytes: number;
  skipped: number;
  seconds: number;
}

const MiB = 1024 * 1024;
const fmt = (bytes: number): string => (bytes >= 1024 * MiB ? `${(bytes / 1024 / MiB).toFixed(2)} GiB` : `${(bytes / MiB).toFixed(1)} MiB`);
const MAX_REFUSED_SHOWN = 5;

async function openStore(source: DataSource, options: LoadOptions): Promise<ObjectStore> {
  const endpoint = options.endpoint;
  if (source.provider === 's3') {
    const { s3Store } = await import('./s3.js');
    return s3Store({
      bucket: source.bucket,
      ...(endpoint ? { endpoint } : {}),
      ...(options.credentialsDir ? { credentials: readAwsCredentials(options.credentialsDir) } : {}),
    });
  }
  const { gcsStore } = await import('./gcs.js');
  return gcsStore({ bucket: source.bucket, ...(endpoint ? { endpoint } : {}), ...(options.credentialsDir ? { key: readGcpKey(options.credentialsDir) } : {}) });
}

interface Planned {
  info: ObjectInfo;
  relative: string;
}

async function plan(store: ObjectStore, source: DataSource, root: string): Promise<Planned[]> {
  const planned: Planned[] = [];
  const refused: string[] = [];
  for await (const info of store.list(source.prefix)) {
    if (isFolderMarker(info.key)) continue;
    const p = keyPath(info.key, source.prefix, root);
    if ('refused' in p) refused.push(p.refused);
    else planned.push({ info, relative: p.relative });
  }
  if (refused.length > 0) {
    const more = refused.length > MAX_REFUSED_SHOWN ? `\n  … and ${refused.length - MAX_REFUSED_SHOWN} more` : '';
    throw new LoadError(
      `refusing to load: ${refused.length} object name(s) cannot be a file under the target; nothing was written:\n  ${refused.slice(0, MAX_REFUSED_SHOWN).join('\n  ')}${more}`,
    );
  }
  return planned;
}

async function checkTarget(target: string): Promise<string> {
  const st = await stat(target).catch(() => undefined);
  if (!st?.isDirectory()) throw new LoadError(`--target ${target}: not a directory`, 2);
  return realpath(target);
}

export async function load(options: LoadOptions): Promise<LoadResult> {
  const started = Date.now();
  const source = parseSource(options.source);
  if ('error' in source) throw new LoadError(`--source ${JSON.stringify(options.source)}: ${source.error}`, 2);
  const parallel = options.parallel ?? 8;
  if (!Number.isInteger(parallel) || parallel < 1 || parallel > 64) throw new LoadError('--parallel must be an integer from 1 to 64', 2);
  const root = await checkTarget(options.target);
  const url = `${source.provider}://${source.bucket}/${source.prefix}`;
  const store = await openStore(source, options);
  try {
    const planned = await plan(store, source, root);
    const total = planned.reduce((n, p) => n + p.info.size, 0);
    options.log(`listed ${planned.length} objects (${fmt(total)}) under ${url}`);
    const r = { objects: planned.length, bytes: total, copied: 0, copiedBytes: 0, skipped: 0, seconds: 0 };
    const progress = (): void => {
      const s = Math.max((Date.now() - started) / 1000, 0.001);
      options.log(
        `progress: ${r.copied + r.skipped}/${planned.length} objects, ${fmt(r.copiedBytes)} copied, ${r.skipped} already complete, ${fmt(r.copiedBytes / s)}/s`,
      );
    };
    const timer = setInterval(progress, options.progressEveryMs ?? 2000);
    let next = 0;
    let failed: Error | undefined;
    const worker = async (): Promise<void> => {
      while (failed === undefined && next < planned.length) {
        const { info, relative } = planned[next++] as Planned;
        const path = join(root, relative);
        try {
          await ensureParents(root, relative);
          if (await isComplete(path, info)) {
            r.skipped++;
            continue;
          }
          await writeObject(path, info, (into) => store.download(info.key, into), JSON.stringify(relative));
          r.copied++;
          r.copiedBytes += info.size;
        } catch (err) {
          failed ??= err instanceof Error ? err : new Error(String(err));
        }
      }
    };
    try {
      await Promise.all(Array.from({ length: Math.min(parallel, Math.max(planned.length, 1)) }, worker));
    } finally {
      clearInterval(timer);
    }
    if (failed !== undefined) throw failed;
    const swept = await sweepPartials(root);
    r.seconds = (Date.now() - started) / 1000;
    progress();
    options.log(
      `done: ${r.copied} copied, ${r.skipped} already complete${swept ? `, ${swept} stale temp files removed` : ''}, ${fmt(total)} in ${planned.length} objects verified in ${r.seconds.toFixed(1)} s`,
    );
    return r;
  } finally {
    store.close();
  }
}
