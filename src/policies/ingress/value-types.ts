/**
 * Checks an annotation value against its declared grammar; returns what is
 * wrong and what is accepted, or undefined. Every grammar is an allow-list at
 * least as strict as ingress-nginx's own annotation validators (its parser
 * package: header, CORS origin, cipher and path charsets), because the value
 * is rendered into nginx.conf by the controller. Pure: no cluster look-ups
 * (cross-namespace references are references.ts).
 */
import { parseCanonicalCIDR, parseCanonicalIP } from '../shared/ip.js';
import { intInRange, isBool, shown } from '../shared/values.js';
import type { ValueType } from './nginx-annotations.js';
import { MAX_PATH_LENGTH, PATH_CHARSET_TEXT, firstOffendingChar } from './path-chars.js';

/** A DNS-1123 subdomain (lower case): host names, Secret names. */
export const DNS_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$/;
/** A Service name: DNS-1035 label (what ingress-nginx's ValidateServiceName requires). */
export const DNS_1035 = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_1123_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** URL characters: RFC 3986 unreserved and reserved, minus `#` `'` `;` and `$` (nginx variables). */
const URL_CHARS = /^[A-Za-z0-9\-._~:/?[\]@!&()*+,=%]*$/;
const URL_CHARS_TEXT = 'letters, digits and -._~:/?[]@!&()*+,=%';
const HEADER = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;
const LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
const ORIGIN = new RegExp(`^https?://(\\*\\.)?${LABEL}(?:\\.${LABEL})*(?::([0-9]{1,5}))?$`);
const REALM = /^[A-Za-z0-9._-][A-Za-z0-9 ._-]{0,127}$/;
/** A CN regex: no space (the value is an unquoted nginx token), quote, `#`, brace or `;`. */
const CN_CHARS = /^(?:[A-Za-z0-9.*+?^$|()[\]=,:@/_-]|\\[A-Za-z0-9.*+?^$|()[\]/-])+$/;
const CIPHER = /^(?:[!+-]?[A-Za-z0-9][A-Za-z0-9_+-]*|@STRENGTH|@SECLEVEL=[0-5])$/;

function urlProblem(v: string): string | undefined {
  const accepted = `an http:// or https:// URL with a host, no credentials and only ${URL_CHARS_TEXT}`;
  if (v.length > 2048) return `is longer than 2048 characters; use ${accepted}`;
  if (!/^https?:\/\//.test(v)) return `must be ${accepted}`;
  if (!URL_CHARS.test(v)) {
    const bad = [...v].find((ch) => !URL_CHARS.test(ch)) ?? '';
    return `contains ${shown(bad)}; use ${accepted}`;
  }
  if (/%(?![0-9A-Fa-f]{2})/.test(v)) return `has a % not followed by two hex digits; use ${accepted}`;
  try {
    const u = new URL(v);
    if (!u.hostname) return `has no host; use ${accepted}`;
    if (u.username || u.password) return `carries credentials (user@host); use ${accepted}`;
    return undefined;
  } catch {
    return `is not a URL; use ${accepted}`;
  }
}

function pathProblem(v: string, captures: boolean): string | undefined {
  const accepted = `a path starting with / of at most ${MAX_PATH_LENGTH} characters: ${PATH_CHARSET_TEXT}${captures ? ', and $1..$9' : ''}`;
  if (!v.startsWith('/')) return `must be ${accepted}`;
  if (v.length > MAX_PATH_LENGTH) return `is longer than ${MAX_PATH_LENGTH} characters; use ${accepted}`;
  const bad = firstOffendingChar(v, { captures });
  return bad ? `contains ${shown(bad.char)} at position ${bad.index}; use ${accepted}` : undefined;
}

const list = (v: string): string[] => v.split(',').map((s) => s.trim());

function headerListProblem(v: string): string | undefined {
  const accepted = 'must be comma-separated HTTP header names (letters, digits, - and _, up to 128 each)';
  if (v.length > 4096) return `${accepted}; this list is longer than 4096 characters`;
  const bad = list(v).find((h) => !HEADER.test(h));
  return bad === undefined ? undefined : `${accepted}; ${shown(bad)} is not one`;
}

function originsProblem(v: string): string | undefined {
  const accepted = 'must be * or comma-separated origins like https://a.example.com or https://*.example.com:8443';
  if (v === '*') return undefined;
  if (v.length > 4096) return `${accepted}; this list is longer than 4096 characters`;
  const bad = list(v).find((o) => {
    const m = ORIGIN.exec(o);
    if (!m) return true;
    if (m[1] && !o.slice(o.indexOf('*.') + 2).includes('.')) return true; // *.com
    return m[2] !== undefined && !(Number(m[2]) >= 1 && Number(m[2]) <= 65535);
  });
  return bad === undefined ? undefined : `${accepted}; ${shown(bad)} is not one`;
}

function cnProblem(v: string): string | undefined {
  const accepted = 'must be CN= followed by a regular expression of letters, digits and .*+?^$|()[]=,:@/_- (no spaces; \\ only before one of those)';
  if (!v.startsWith('CN=') || v.length > 256) return accepted;
  const body = v.slice(3);
  if (!CN_CHARS.test(body)) return accepted;
  try {
    new RegExp(body);
    return undefined;
  } catch {
    return `${accepted}; this is not a valid regular expression`;
  }
}

function ciphersProblem(v: string): string | undefined {
  const ok = v.length <= 2048 && v.split(':').every((c) => CIPHER.test(c));
  return ok
    ? undefined
    : 'must be an OpenSSL cipher list: names of letters, digits, _ + - joined by :, each optionally prefixed by ! + or -, and @STRENGTH or @SECLEVEL=0..5';
}

function secretRefProblem(v: string): string | undefined {
  const parts = v.split('/');
  const ok = parts.length <= 2 && DNS_SUBDOMAIN.test(parts[parts.length - 1] ?? '') && (parts.length === 1 || DNS_1123_LABEL.test(parts[0] ?? ''));
  return ok ? undefined : 'must be <name> or <namespace>/<name> of a Secret';
}

function serviceNameProblem(v: string): string | undefined {
  // Another namespace's <ns>/<name> is reported by references.ts first; ingress-nginx accepts no namespace at all here.
  return DNS_1035.test(v)
    ? undefined
    : "must be just the name of a Service (a DNS-1035 label): ingress-nginx always looks it up in the Ingress's own namespace";
}

const ok = (good: boolean, problem: string): string | undefined => (good ? undefined : problem);

type Checks = { [K in ValueType['kind']]: (type: Extract<ValueType, { kind: K }>, v: string) => string | undefined };

/** One checker per value type: a table, so adding a type is one line and the security report can trust it. */
const CHECKS: Checks = {
  bool: (_t, v) => ok(isBool(v), 'must be "true" or "false"'),
  int: (t, v) => ok(intInRange(v, t.min, t.max), `must be a whole number from ${t.min} to ${t.max}`),
  size: (_t, v) => ok(/^[0-9]{1,9}[kKmMgG]?$/.test(v), 'must be a size like 8m or 512k'),
  enum: (t, v) => ok(t.values.includes(v), `must be one of ${t.values.join(', ')}`),
  url: (_t, v) => urlProblem(v),
  path: (_t, v) => pathProblem(v, false),
  'rewrite-path': (_t, v) => pathProblem(v, true),
  cidrs: (_t, v) =>
    ok(
      list(v).every((s) => parseCanonicalCIDR(s).range || parseCanonicalIP(s).addr),
      'must be a comma-separated list of canonical CIDRs',
    ),
  'secret-ref': (_t, v) => secretRefProblem(v),
  'service-name': (_t, v) => serviceNameProblem(v),
  hostname: (_t, v) => ok(DNS_SUBDOMAIN.test(v), 'must be a DNS name'),
  'header-name': (_t, v) => ok(/^[A-Za-z0-9_.-]{1,128}$/.test(v), 'must be a token of letters, digits, "-", "_" or "."'),
  'header-list': (_t, v) => headerListProblem(v),
  origins: (_t, v) => originsProblem(v),
  realm: (_t, v) => ok(REALM.test(v), 'must be a short phrase (up to 128) of letters, digits, spaces and ._- only'),
  'cn-regex': (_t, v) => cnProblem(v),
  ciphers: (_t, v) => ciphersProblem(v),
  'http-methods': (_t, v) => ok(/^[A-Z]{3,7}(\s*,\s*[A-Z]{3,7})*$/.test(v), 'must be a comma-separated list of HTTP methods'),
  'status-codes': (_t, v) => ok(/^[1-5][0-9]{2}(\s*,\s*[1-5][0-9]{2})*$/.test(v), 'must be a comma-separated list of HTTP status codes'),
  none: () => 'is not allowed',
};

/** What is wrong with `v` for `type`, phrased to follow the field path and the value; undefined when it fits. */
export function typeProblem(type: ValueType, v: string): string | undefined {
  return (CHECKS[type.kind] as (t: ValueType, v: string) => string | undefined)(type, v);
}
