/**
 * The grammar of `data.harbormaster.io/source` and `/endpoint`, allow-listed.
 * Pure; shared by the validating rule and the loader, so what admission
 * accepts is exactly what the loader parses.
 */

export type Provider = 's3' | 'gs';

export interface DataSource {
  provider: Provider;
  bucket: string;
  /** '' (the whole bucket) or a prefix ending in '/': the loader copies the keys under it. */
  prefix: string;
}

/** S3 bucket names (3–63, lower case, digits, dots, hyphens); GCS also allows underscores. */
const BUCKET: Record<Provider, RegExp> = {
  s3: /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
  gs: /^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$/,
};
/** Prefix characters: S3's "safe characters" less `*'()`, plus `=` (partition keys such as `date=2026-01-01`). */
const PREFIX_CHARS = /^[A-Za-z0-9!_.=/-]*$/;
export const MAX_PREFIX = 1024;

/** Parses a source URL, or says what is wrong with it. */
export function parseSource(value: string): DataSource | { error: string } {
  const m = /^(s3|gs):\/\/([^/]*)(?:\/(.*))?$/s.exec(value);
  if (!m) return { error: 'must be s3://<bucket>[/<prefix>] or gs://<bucket>[/<prefix>]' };
  const provider = m[1] as Provider;
  const bucket = m[2] ?? '';
  const rawPrefix = m[3] ?? '';
  if (!BUCKET[provider].test(bucket) || bucket.includes('..')) {
    return {
      error: `bucket ${JSON.stringify(bucket.slice(0, 63))} is not a valid ${provider === 's3' ? 'S3' : 'GCS'} bucket name (3–63 of a-z 0-9 . -${provider === 'gs' ? ' _' : ''}, starting and ending with a letter or digit)`,
    };
  }
  if (rawPrefix.length > MAX_PREFIX) return { error: `the prefix is longer than ${MAX_PREFIX} characters` };
  if (!PREFIX_CHARS.test(rawPrefix)) return { error: 'the prefix may hold only A-Z a-z 0-9 ! _ . = / -' };
  const segments = rawPrefix.replace(/\/$/, '').split('/');
  if (rawPrefix !== '' && segments.some((s) => s === '' || s === '.' || s === '..')) {
    return { error: 'the prefix may not have empty, "." or ".." path segments' };
  }
  return { provider, bucket, prefix: rawPrefix === '' ? '' : rawPrefix.replace(/\/?$/, '/') };
}

export interface EndpointPolicy {
  /** `host` (any port) or `host:port` entries the endpoint must match. */
  endpoints: readonly string[];
  /** Allow `http://` endpoints (test and lab clusters only). */
  allowHttp: boolean;
}

/** Checks an endpoint URL: https (http only if allowed), no credentials, path, query or fragment, on the allow-list. */
export function checkEndpoint(value: string, policy: EndpointPolicy): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'is not a URL; write https://<host>[:<port>]';
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && policy.allowHttp)) {
    return policy.allowHttp ? 'must be an https:// or http:// URL' : 'must be an https:// URL (the policy file allows no plain http)';
  }
  if (url.username || url.password) return 'may not carry user or password; use data.harbormaster.io/credentials';
  if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash || /[?#]/.test(value)) {
    return 'must be scheme://host[:port] only, without a path, query or fragment';
  }
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  const allowed = policy.endpoints.some((e) => {
    const [h, p] = splitEntry(e);
    return h === host && (p === undefined || p === port);
  });
  if (!allowed) {
    return policy.endpoints.length === 0
      ? 'is not allowed: the policy file lists no endpoints (dataLoading.endpoints)'
      : `host ${JSON.stringify(url.host)} is not on the policy's endpoint allow-list (${policy.endpoints.join(', ')})`;
  }
  return undefined;
}

/** `host`, `host:port`, `[v6]` or `[v6]:port` → [host in lower case, port?]. */
function splitEntry(entry: string): [string, string | undefined] {
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry) ?? /^([^:]+)(?::(\d+))?$/.exec(entry);
  return m ? [(m[1] ?? '').toLowerCase(), m[2]] : [entry.toLowerCase(), undefined];
}
