/**
 * A V8 heap snapshot of the replica, summarised by constructor the way the
 * DevTools "Summary" view groups it: objects by constructor name, everything
 * else by node type ("(string)", "(array)", "(closure)" …), with count and
 * self (shallow) size. Retained sizes would need the dominator tree; the self
 * sizes already say which records fill the heap.
 */
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

export interface HeapGroup {
  name: string;
  count: number;
  selfBytes: number;
}

export interface HeapSummary {
  totalBytes: number;
  groups: HeapGroup[];
  /** The largest single nodes (a retained response body would show here). */
  largest: Array<{ type: string; bytes: number; name: string }>;
}

export function summarise(file: string, top: number): HeapSummary {
  const snap = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const width = fields.length;
  const [typeAt, nameAt, sizeAt] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f)) as [number, number, number];
  const groups = new Map<string, HeapGroup>();
  let totalBytes = 0;
  let largest: HeapSummary['largest'] = [];
  for (let i = 0; i < snap.nodes.length; i += width) {
    const type = types[snap.nodes[i + typeAt] ?? 0] ?? '?';
    const size = snap.nodes[i + sizeAt] ?? 0;
    totalBytes += size;
    if (largest.length < 5 || size > (largest[largest.length - 1]?.bytes ?? 0)) {
      largest.push({ type, bytes: size, name: (snap.strings[snap.nodes[i + nameAt] ?? 0] ?? '').slice(0, 80) });
      largest = largest.sort((a, b) => b.bytes - a.bytes).slice(0, 5);
    }
    const name = type === 'object' || type === 'native' ? (snap.strings[snap.nodes[i + nameAt] ?? 0] ?? '?') : `(${type})`;
    const g = groups.get(name) ?? { name, count: 0, selfBytes: 0 };
    g.count++;
    g.selfBytes += size;
    groups.set(name, g);
  }
  return { totalBytes, groups: [...groups.values()].sort((a, b) => b.selfBytes - a.selfBytes).slice(0, top), largest };
}

/**
 * Signals a process started with --heapsnapshot-signal=SIGUSR2 and
 * --diagnostic-dir=`dir`, waits until its snapshot file stops growing, and
 * summarises it (the file is removed afterwards).
 */
export async function heapSummary(pid: number, dir: string, top = 10, timeoutMs = 120_000): Promise<HeapSummary & { seconds: number }> {
  const t0 = performance.now();
  const existing = new Set(readdirSync(dir));
  process.kill(pid, 'SIGUSR2');
  let file: string | undefined;
  let lastSize = -1;
  for (;;) {
    if (performance.now() - t0 > timeoutMs) throw new Error('heap snapshot not written in time');
    await new Promise((r) => setTimeout(r, 500));
    file ??= readdirSync(dir).find((f) => f.endsWith('.heapsnapshot') && !existing.has(f));
    if (!file) continue;
    const path = join(dir, file);
    const size = statSync(path).size;
    if (size === 0 || size !== lastSize) {
      lastSize = size;
      continue;
    }
    try {
      const summary = summarise(path, top);
      rmSync(path, { force: true });
      return { ...summary, seconds: (performance.now() - t0) / 1000 };
    } catch (err) {
      if (!(err instanceof SyntaxError)) throw err; // still being written
    }
  }
}
