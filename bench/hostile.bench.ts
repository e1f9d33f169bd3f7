/**
 * npm run bench (part): every hostile-but-valid request of
 * test/support/hostile.ts, evaluated in-process phase by phase (depth scan,
 * JSON.parse, decode, policy, encode), median of 7 runs after a warm-up.
 * Shows where the time of a large request goes; test/unit/hostile-input.test.ts
 * holds the same requests to a 50 ms budget against a real `serve --state`.
 * `node --import tsx bench/hostile.bench.ts [name-substring]` runs a subset.
 */
import { evaluate } from '../src/admission/engine.js';
import { jsonDeeperThan } from '../src/admission/json-depth.js';
import { PolicyRegistry } from '../src/admission/registry.js';
import { decodeReview, MAX_DEPTH, toResponse, toReview } from '../src/admission/review.js';
import { storeFromObjects } from '../src/cluster/static.js';
import { loadConfigFile } from '../src/config/load.js';
import { DEFAULT_POLICY_FILE } from '../src/paths.js';
import { builtinPolicies } from '../src/policies/index.js';
import { hostileCases, hostileState } from '../test/support/hostile.js';

const loaded = loadConfigFile(DEFAULT_POLICY_FILE);
if (!loaded.ok) throw new Error('policy');
const config = loaded.config;
const registry = new PolicyRegistry(builtinPolicies());
const cluster = storeFromObjects(hostileState());
const filter = process.argv[2];

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

console.log('# hostile requests, in-process, ms (median of 7): depth  parse  decode  policy  encode  = total   reply');
for (const c of hostileCases().filter((x) => !filter || x.name.includes(filter))) {
  const [, type, name] = c.path.split('/');
  const policy = registry.get(type ?? '', name ?? '');
  if (!policy) throw new Error(`no policy at ${c.path}`);
  const phases: Record<string, number[]> = { depth: [], parse: [], decode: [], policy: [], encode: [] };
  let reply = 0;
  for (let i = 0; i < 9; i++) {
    const time = <T>(phase: string, fn: () => T): T => {
      const t = performance.now();
      const v = fn();
      if (i >= 2) phases[phase]!.push(performance.now() - t);
      return v;
    };
    if (time('depth', () => jsonDeeperThan(c.body, MAX_DEPTH))) break;
    const parsed: unknown = time('parse', () => JSON.parse(c.body.toString('utf8')));
    const decoded = time('decode', () => decodeReview(parsed));
    if (!decoded.ok) throw new Error(decoded.reason);
    const decision = time('policy', () => evaluate({ policy, request: decoded.request, cluster, config }));
    reply = time('encode', () => JSON.stringify(toReview(toResponse(decoded.request.uid, decision)))).length;
  }
  const m = Object.fromEntries(Object.entries(phases).map(([k, v]) => [k, median(v)]));
  const total = Object.values(m).reduce((a, b) => a + b, 0);
  const f = (n: number | undefined) => (n ?? 0).toFixed(1).padStart(6);
  console.log(
    `${f(m.depth)} ${f(m.parse)} ${f(m.decode)} ${f(m.policy)} ${f(m.encode)} = ${f(total)}  ${(reply / 1024).toFixed(0).padStart(5)} KiB  ${c.path} ${c.name}`,
  );
}
