/** Checks an annotation value against its declared type; returns what is wrong, or undefined. */
import { parseCanonicalCIDR, parseCanonicalIP } from '../shared/ip.js';
import { DNS_LABEL, intInRange, isBool } from '../shared/values.js';
import type { ValueType } from './nginx-annotations.js';

export const DNS_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$/;

function urlProblem(v: string): string | undefined {
  if (/\s/.test(v)) return 'must be a URL without whitespace';
  try {
    const u = new URL(v);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return 'must be an http:// or https:// URL';
    if (!u.hostname || u.username || u.password) return 'must be an http(s) URL with a host and no credentials';
    return undefined;
  } catch {
    return 'is not a URL';
  }
}

export function typeProblem(type: ValueType, v: string): string | undefined {
  switch (type.kind) {
    case 'bool':
      return isBool(v) ? undefined : 'must be "true" or "false"';
    case 'int':
      return intInRange(v, type.min, type.max) ? undefined : `must be a whole number from ${type.min} to ${type.max}`;
    case 'size':
      return /^[0-9]{1,9}[kKmMgG]?$/.test(v) ? undefined : 'must be a size like 8m or 512k';
    case 'enum':
      return type.values.includes(v) ? undefined : `must be one of ${type.values.join(', ')}`;
    case 'url':
      return urlProblem(v);
    case 'path':
      return v.startsWith('/') && v.length <= 256 && /^[\x21-\x7e]+$/.test(v) ? undefined : 'must be a path starting with / (printable ASCII, no spaces)';
    case 'cidrs': {
      const bad = v.split(',').map((s) => s.trim()).find((s) => !(parseCanonicalCIDR(s).range || parseCanonicalIP(s).addr));
      return bad === undefined ? undefined : 'must be a comma-separated list of canonical CIDRs';
    }
    case 'name':
      return DNS_LABEL.test(v) ? undefined : 'must be a DNS label';
    case 'secret-ref': {
      const parts = v.split('/');
      return parts.length <= 2 && parts.every((p) => DNS_SUBDOMAIN.test(p)) ? undefined : 'must be <name> or <namespace>/<name>';
    }
    case 'hostname':
      return DNS_SUBDOMAIN.test(v) ? undefined : 'must be a DNS name';
    case 'header-name':
      return /^[A-Za-z0-9_.-]{1,128}$/.test(v) ? undefined : 'must be a token of letters, digits, "-", "_" or "."';
    case 'http-methods':
      return /^[A-Z]{3,7}(\s*,\s*[A-Z]{3,7})*$/.test(v) ? undefined : 'must be a comma-separated list of HTTP methods';
    case 'status-codes':
      return /^[1-5][0-9]{2}(\s*,\s*[1-5][0-9]{2})*$/.test(v) ? undefined : 'must be a comma-separated list of HTTP status codes';
    case 'text':
      return v.length <= 1024 && /^[\x20-\x7e]*$/.test(v) ? undefined : 'must be printable ASCII, at most 1024 characters';
    case 'none':
      return 'is not allowed';
  }
}
