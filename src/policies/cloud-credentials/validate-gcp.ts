/**
 * `gcp-credential` Secrets: key `key.json` holds a Google credential JSON,
 * either a service account key whose private key really parses, or an
 * external account (workload identity federation) whose credential source is a
 * file or URL — never `executable`, which would make every consumer run a
 * command named by the Secret's author.
 */
import { createHash, createPrivateKey } from 'node:crypto';
import { dataPath, type SecretValues } from './secret-data.js';
import { GCP_KEY_FILE } from './names.js';

export type Problem = string;

/** A Google credential file is 2–3 KiB; a larger value is refused before it is parsed (bounded work). */
export const MAX_KEY_FILE_BYTES = 64 * 1024;

const SERVICE_ACCOUNT_FIELDS = ['project_id', 'private_key_id', 'private_key', 'client_email', 'client_id', 'token_uri'] as const;

function isHttpsUrl(v: unknown): boolean {
  if (typeof v !== 'string') return false;
  try {
    const u = new URL(v);
    return u.protocol === 'https:' && u.hostname.length > 0 && u.username === '' && u.password === '';
  } catch {
    return false;
  }
}

/**
 * Whether a PEM parsed, by its SHA-256: parsing a 2048-bit RSA key costs
 * ~0.4 ms, hashing it ~10 µs, and the same Secret is validated again on
 * every update of it (labels, annotations, `kubectl apply`). Only digests
 * and booleans are kept, never key material; the oldest entry goes first.
 */
const parsed = new Map<string, boolean>();
const PARSED_ENTRIES = 256;

function parsesAsPrivateKey(pem: string): boolean {
  if (!/^-----BEGIN (RSA |EC |ENCRYPTED )?PRIVATE KEY-----/.test(pem.trim())) return false;
  const digest = createHash('sha256').update(pem).digest('base64');
  const known = parsed.get(digest);
  if (known !== undefined) return known;
  let ok: boolean;
  try {
    createPrivateKey({ key: pem, format: 'pem' });
    ok = true;
  } catch {
    ok = false;
  }
  if (parsed.size >= PARSED_ENTRIES) parsed.delete(parsed.keys().next().value!);
  parsed.set(digest, ok);
  return ok;
}

function serviceAccount(key: Record<string, unknown>, at: (f: string) => string): Problem[] {
  const problems: Problem[] = [];
  for (const f of SERVICE_ACCOUNT_FIELDS) {
    if (typeof key[f] !== 'string' || key[f].length === 0) problems.push(`${at(f)} is required (a non-empty string)`);
  }
  if (typeof key.private_key === 'string' && key.private_key.length > 0 && !parsesAsPrivateKey(key.private_key)) {
    problems.push(`${at('private_key')} does not parse as a PEM private key`);
  }
  if (typeof key.client_email === 'string' && key.client_email.length > 0 && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(key.client_email)) {
    problems.push(`${at('client_email')} is not an e-mail address`);
  }
  if (typeof key.token_uri === 'string' && key.token_uri.length > 0 && !isHttpsUrl(key.token_uri)) {
    problems.push(`${at('token_uri')} must be an https:// URL`);
  }
  return problems;
}

/** credential_source: a file or a URL (https, or the local metadata server), never `executable`. */
function sourceProblems(src: Record<string, unknown>, at: (f: string) => string): Problem[] {
  const problems: Problem[] = [];
  const executable = 'executable' in src;
  if (executable) problems.push(`${at('credential_source.executable')} is not allowed: use a "file" or "url" credential source`);
  const hasFile = typeof src.file === 'string' && src.file.length > 0;
  const hasUrl = typeof src.url === 'string' && src.url.length > 0;
  if (!hasFile && !hasUrl && !executable) problems.push(`${at('credential_source')} needs "file" or "url"`);
  if (hasFile && hasUrl) problems.push(`${at('credential_source')} has both "file" and "url"; keep one`);
  if ('url' in src && !isHttpsUrl(src.url) && !/^http:\/\/(169\.254\.169\.254|metadata\.google\.internal)(:\d+)?\//.test(String(src.url))) {
    problems.push(`${at('credential_source.url')} must be an https:// URL (or the local metadata server)`);
  }
  return problems;
}

function externalAccount(key: Record<string, unknown>, at: (f: string) => string): Problem[] {
  const source = key.credential_source;
  if (source === null || typeof source !== 'object' || Array.isArray(source)) {
    return [`${at('credential_source')} is required: an object with "file" or "url"`];
  }
  const problems = sourceProblems(source as Record<string, unknown>, at);
  for (const f of ['audience', 'subject_token_type', 'token_url'] as const) {
    const v = key[f];
    if (typeof v !== 'string' || v.length === 0) problems.push(`${at(f)} is required (a non-empty string)`);
  }
  if (typeof key.token_url === 'string' && key.token_url.length > 0 && !isHttpsUrl(key.token_url)) problems.push(`${at('token_url')} must be an https:// URL`);
  if ('service_account_impersonation_url' in key && !isHttpsUrl(key.service_account_impersonation_url)) {
    problems.push(`${at('service_account_impersonation_url')} must be an https:// URL`);
  }
  return problems;
}

/** Every problem of a gcp-credential Secret; messages name keys and fields, never values. */
export function validateGcpSecret(secret: SecretValues): Problem[] {
  const raw = secret.values.get(GCP_KEY_FILE);
  const at = (f: string) => dataPath(GCP_KEY_FILE, f);
  if (!secret.values.has(GCP_KEY_FILE)) return [`${dataPath(GCP_KEY_FILE)} is required: the Google credential JSON`];
  if (raw === undefined) return [`${dataPath(GCP_KEY_FILE)} is not valid base64`];
  if (raw.length > MAX_KEY_FILE_BYTES)
    return [`${dataPath(GCP_KEY_FILE)} is larger than ${MAX_KEY_FILE_BYTES / 1024} KiB; a Google credential file is a few KiB`];
  const extra = [...secret.values.keys()].filter((k) => k !== GCP_KEY_FILE);
  const problems: Problem[] = extra.map((k) => `${dataPath(k)} is not allowed in a gcp-credential Secret (only "${GCP_KEY_FILE}")`);
  let key: unknown;
  try {
    key = JSON.parse(raw);
  } catch {
    return [...problems, `${dataPath(GCP_KEY_FILE)} is not valid JSON`];
  }
  if (key === null || typeof key !== 'object' || Array.isArray(key)) return [...problems, `${dataPath(GCP_KEY_FILE)} must be a JSON object`];
  const k = key as Record<string, unknown>;
  if (k.type === 'service_account') return [...problems, ...serviceAccount(k, at)];
  if (k.type === 'external_account') return [...problems, ...externalAccount(k, at)];
  return [...problems, `${at('type')} must be "service_account" or "external_account"`];
}
