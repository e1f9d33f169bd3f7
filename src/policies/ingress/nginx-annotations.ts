/**
 * The nginx annotation allow-list: every `nginx.ingress.kubernetes.io/` key a
 * tenant may use, its risk level and the type its value must have. Data, not
 * code, so `harbormaster policies` prints it for the security review.
 *
 * Risk: Low/Medium are always allowed; High needs the namespace annotation
 * `harbormaster.io/ingress-risk: high`; Critical is never allowed. Every key
 * ending in `-snippet` is Critical whether listed or not: snippets are raw
 * nginx configuration (the 2025 "IngressNightmare" class of injection). The
 * same goes for snippet keys of every other controller (`isSnippetKey`).
 */

export type Risk = 'Low' | 'Medium' | 'High' | 'Critical';

/**
 * The grammar a value must match (value-types.ts). There is no free-text
 * kind: every key gets a grammar as strict as what ingress-nginx itself
 * accepts, because every value ends up in nginx.conf.
 */
export type ValueType =
  | { kind: 'bool' }
  | { kind: 'int'; min: number; max: number }
  | { kind: 'size' }
  | { kind: 'enum'; values: readonly string[] }
  /** http(s) URL with a host, no credentials, a conservative charset. */
  | { kind: 'url' }
  /** An absolute path of the strict path charset. */
  | { kind: 'path' }
  /** A path that may also use regex captures `$1`..`$9`. */
  | { kind: 'rewrite-path' }
  | { kind: 'cidrs' }
  /** A Secret: `<name>` or `<namespace>/<name>` (the namespace must be the Ingress's own). */
  | { kind: 'secret-ref' }
  /** A Service name, always looked up in the Ingress's namespace. */
  | { kind: 'service-name' }
  | { kind: 'hostname' }
  | { kind: 'header-name' }
  /** Comma-separated HTTP header names. */
  | { kind: 'header-list' }
  /** `*` or comma-separated http(s) origins, optionally with a `*.` wildcard label. */
  | { kind: 'origins' }
  /** A short phrase shown in the browser's login prompt. */
  | { kind: 'realm' }
  /** `CN=` and a regular expression over a safe charset. */
  | { kind: 'cn-regex' }
  /** An OpenSSL cipher list. */
  | { kind: 'ciphers' }
  | { kind: 'http-methods' }
  | { kind: 'status-codes' }
  | { kind: 'none' };

export interface NginxAnnotation {
  key: string;
  risk: Risk;
  type: ValueType;
  why?: string;
}

const bool = { kind: 'bool' } as const;
const int = (min: number, max: number) => ({ kind: 'int', min, max }) as const;
const size = { kind: 'size' } as const;
const path = { kind: 'path' } as const;
const headers = { kind: 'header-list' } as const;
const url = { kind: 'url' } as const;
const onOff = { kind: 'enum', values: ['on', 'off'] } as const;

export const NGINX_ANNOTATIONS: readonly NginxAnnotation[] = [
  { key: 'ssl-redirect', risk: 'Low', type: bool },
  { key: 'force-ssl-redirect', risk: 'Low', type: bool },
  { key: 'backend-protocol', risk: 'Low', type: { kind: 'enum', values: ['HTTP', 'HTTPS', 'GRPC', 'GRPCS', 'AUTO_HTTP'] } },
  { key: 'proxy-body-size', risk: 'Low', type: size },
  { key: 'proxy-connect-timeout', risk: 'Low', type: int(1, 3600) },
  { key: 'proxy-read-timeout', risk: 'Low', type: int(1, 3600) },
  { key: 'proxy-send-timeout', risk: 'Low', type: int(1, 3600) },
  { key: 'proxy-buffering', risk: 'Low', type: onOff },
  { key: 'proxy-buffer-size', risk: 'Low', type: size },
  { key: 'proxy-next-upstream-tries', risk: 'Low', type: int(0, 10) },
  { key: 'client-body-buffer-size', risk: 'Low', type: size },
  { key: 'enable-cors', risk: 'Low', type: bool },
  { key: 'cors-allow-methods', risk: 'Low', type: { kind: 'http-methods' } },
  { key: 'cors-allow-credentials', risk: 'Low', type: bool },
  { key: 'cors-max-age', risk: 'Low', type: int(0, 86400) },
  { key: 'affinity', risk: 'Low', type: { kind: 'enum', values: ['cookie'] } },
  { key: 'affinity-mode', risk: 'Low', type: { kind: 'enum', values: ['balanced', 'persistent'] } },
  { key: 'session-cookie-name', risk: 'Low', type: { kind: 'header-name' } },
  { key: 'session-cookie-max-age', risk: 'Low', type: int(0, 31536000) },
  { key: 'session-cookie-path', risk: 'Low', type: path },
  { key: 'limit-rps', risk: 'Low', type: int(1, 100000) },
  { key: 'limit-rpm', risk: 'Low', type: int(1, 6000000) },
  { key: 'limit-connections', risk: 'Low', type: int(1, 100000) },
  { key: 'whitelist-source-range', risk: 'Low', type: { kind: 'cidrs' } },
  { key: 'allowlist-source-range', risk: 'Low', type: { kind: 'cidrs' } },
  { key: 'denylist-source-range', risk: 'Low', type: { kind: 'cidrs' } },
  { key: 'from-to-www-redirect', risk: 'Low', type: bool },
  { key: 'load-balance', risk: 'Low', type: { kind: 'enum', values: ['round_robin', 'ewma'] } },
  { key: 'canary', risk: 'Low', type: bool },
  { key: 'canary-weight', risk: 'Low', type: int(0, 100) },
  { key: 'canary-by-header', risk: 'Low', type: { kind: 'header-name' } },
  { key: 'canary-by-header-value', risk: 'Low', type: { kind: 'header-name' } },
  { key: 'canary-by-cookie', risk: 'Low', type: { kind: 'header-name' } },
  { key: 'custom-http-errors', risk: 'Low', type: { kind: 'status-codes' } },
  { key: 'enable-access-log', risk: 'Low', type: bool },
  { key: 'service-upstream', risk: 'Low', type: bool },
  { key: 'mirror-request-body', risk: 'Low', type: onOff },
  { key: 'app-root', risk: 'Medium', type: path },
  { key: 'rewrite-target', risk: 'Medium', type: { kind: 'rewrite-path' }, why: 'may use regex capture groups ($1)' },
  { key: 'use-regex', risk: 'High', type: bool, why: 'paths become case-insensitive nginx regular expressions, for every Ingress on the same host' },
  { key: 'x-forwarded-prefix', risk: 'Medium', type: path },
  { key: 'cors-allow-origin', risk: 'Medium', type: { kind: 'origins' }, why: 'a wildcard origin with credentials leaks data' },
  { key: 'cors-allow-headers', risk: 'Medium', type: headers },
  { key: 'permanent-redirect', risk: 'Medium', type: url },
  { key: 'temporal-redirect', risk: 'Medium', type: url },
  { key: 'upstream-vhost', risk: 'Medium', type: { kind: 'hostname' } },
  { key: 'default-backend', risk: 'Medium', type: { kind: 'service-name' }, why: "names a Service (of the Ingress's namespace)" },
  { key: 'auth-type', risk: 'Medium', type: { kind: 'enum', values: ['basic', 'digest'] } },
  { key: 'auth-secret', risk: 'Medium', type: { kind: 'secret-ref' }, why: "names a Secret; <namespace>/<name> only for the Ingress's own namespace" },
  { key: 'auth-realm', risk: 'Medium', type: { kind: 'realm' } },
  { key: 'auth-tls-verify-client', risk: 'Medium', type: { kind: 'enum', values: ['on', 'off', 'optional', 'optional_no_ca'] } },
  { key: 'auth-tls-verify-depth', risk: 'Medium', type: int(1, 10) },
  { key: 'auth-url', risk: 'High', type: url, why: 'rendered into the nginx config; CVE-2025-1097-class injection vector' },
  { key: 'auth-signin', risk: 'High', type: url },
  { key: 'auth-response-headers', risk: 'High', type: headers },
  { key: 'auth-tls-secret', risk: 'High', type: { kind: 'secret-ref' }, why: "names a Secret; <namespace>/<name> only for the Ingress's own namespace" },
  { key: 'auth-tls-match-cn', risk: 'High', type: { kind: 'cn-regex' }, why: 'CVE-2025-1097 injection vector' },
  { key: 'mirror-target', risk: 'High', type: url, why: 'copies traffic elsewhere; CVE-2025-1098 injection vector' },
  { key: 'mirror-host', risk: 'High', type: { kind: 'hostname' } },
  { key: 'proxy-ssl-secret', risk: 'High', type: { kind: 'secret-ref' }, why: "names a Secret; <namespace>/<name> only for the Ingress's own namespace" },
  { key: 'proxy-ssl-verify', risk: 'High', type: onOff },
  { key: 'ssl-passthrough', risk: 'High', type: bool, why: 'bypasses nginx: no L7 policy applies' },
  { key: 'ssl-ciphers', risk: 'High', type: { kind: 'ciphers' } },
  { key: 'configuration-snippet', risk: 'Critical', type: { kind: 'none' }, why: 'raw nginx configuration' },
  { key: 'server-snippet', risk: 'Critical', type: { kind: 'none' }, why: 'raw nginx configuration' },
  { key: 'auth-snippet', risk: 'Critical', type: { kind: 'none' }, why: 'raw nginx configuration (CVE-2025-24514 class)' },
  { key: 'stream-snippet', risk: 'Critical', type: { kind: 'none' }, why: 'raw nginx configuration' },
  { key: 'modsecurity-snippet', risk: 'Critical', type: { kind: 'none' }, why: 'raw configuration' },
];

const BY_KEY = new Map(NGINX_ANNOTATIONS.map((a) => [a.key, a]));

/** The keys a tenant may use, for "did you mean": computed once, not per unknown key. */
export const ALLOWED_NGINX_KEYS: readonly string[] = NGINX_ANNOTATIONS.filter((a) => a.risk !== 'Critical').map((a) => a.key);

/**
 * Whether an annotation key is a configuration snippet of some controller:
 * its name part (after the last `/`) contains "snippet" in any case. Not
 * limited to our controller's prefix because the cluster may run several
 * controllers (nginx.org, haproxy.org, traefik, …), a controller's prefix is
 * a command-line flag, and every one of them renders snippets verbatim. A
 * name-based test rather than a list, so a controller we have never heard of
 * is covered too.
 */
export function isSnippetKey(key: string): boolean {
  return key
    .slice(key.lastIndexOf('/') + 1)
    .toLowerCase()
    .includes('snippet');
}

/** The entry for a key (without the prefix); every key naming a snippet is Critical. */
export function nginxAnnotation(key: string): NginxAnnotation | undefined {
  const known = BY_KEY.get(key);
  if (known) return known;
  if (isSnippetKey(key)) return { key, risk: 'Critical', type: { kind: 'none' }, why: 'raw nginx configuration' };
  return undefined;
}
