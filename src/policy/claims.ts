/**
 * What an object holds of the resources tenants share (SPEC 3.0): the VIPs of
 * a Service or an Ingress, the hosts of an Ingress and the catch-all of its
 * class. One definition, used by the ownership index (for cached objects), by
 * the policies (for the object under review, slimmed the same way) and by the
 * conflict reporter, so admission and reporting cannot disagree on who holds
 * what.
 */
import { DNS_LABEL } from '../kube/names.js';
import ipaddr from 'ipaddr.js';
import type { IngressInfo, IngressPathInfo, ServiceInfo } from './view.js';

/** The owner's consent: `harbormaster.io/share-with: "<ns>,<ns>"` on the owning object. */
export const SHARE_WITH_ANNOTATION = 'harbormaster.io/share-with';
export const LB_VIP_ANNOTATION = 'lb.harbormaster.io/vip';
export const INGRESS_VIP_ANNOTATION = 'ingress.harbormaster.io/static-vip';
export const USE_REGEX_ANNOTATION = 'nginx.ingress.kubernetes.io/use-regex';

/** The namespaces a share-with value names; malformed entries name nobody (the policies deny them). */
export function parseShareWith(value: string | undefined): string[] {
  if (value === undefined) return [];
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => DNS_LABEL.test(s));
}

/** The canonical text of an address, or undefined when it is not one: two spellings of one VIP are one VIP. */
export function vipKey(text: string): string | undefined {
  if (!ipaddr.isValid(text)) return undefined;
  let addr = ipaddr.parse(text);
  if (addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress()) addr = (addr as ipaddr.IPv6).toIPv4Address();
  return addr.kind() === 'ipv6' ? (addr as ipaddr.IPv6).toRFC5952String() : addr.toString();
}

/** Every VIP a Service holds: its requested VIP while it is a LoadBalancer, and what its status says it got. */
export function serviceVips(s: ServiceInfo): string[] {
  const raw = s.type === 'LoadBalancer' ? [s.annotations[LB_VIP_ANNOTATION], s.loadBalancerIP, ...s.statusVIPs] : [...s.statusVIPs];
  const out = new Set<string>();
  for (const r of raw) {
    const k = typeof r === 'string' ? vipKey(r) : undefined;
    if (k) out.add(k);
  }
  return [...out];
}

export interface IngressClaims {
  vip?: string;
  /** Each host with the paths this Ingress serves on it. */
  hosts: Map<string, IngressPathInfo[]>;
  /** An empty host or spec.defaultBackend: the class's catch-all. */
  catchAll: boolean;
  /** The class as declared ('' when none: the default class applies). */
  declaredClass: string;
  /** With use-regex every path of the Ingress is an nginx regular expression. */
  regex: boolean;
}

export function ingressClaims(i: IngressInfo): IngressClaims {
  const hosts = new Map<string, IngressPathInfo[]>();
  let catchAll = i.defaultBackend;
  for (const r of i.rules) {
    if (r.host === '') {
      catchAll = true;
      continue;
    }
    // Shared until a host appears twice: copying every path list costs a hostile 20,000-rule Ingress dearly.
    const list = hosts.get(r.host);
    if (list) hosts.set(r.host, list.concat(r.paths));
    else hosts.set(r.host, r.paths as IngressPathInfo[]);
  }
  const vipText = i.annotations[INGRESS_VIP_ANNOTATION];
  const vip = typeof vipText === 'string' ? vipKey(vipText) : undefined;
  return {
    ...(vip ? { vip } : {}),
    hosts,
    catchAll,
    declaredClass: i.className ?? '',
    regex: i.annotations[USE_REGEX_ANNOTATION] === 'true',
  };
}

/** `*.a.example.com` → `a.example.com`; undefined for a host that is not a wildcard. */
export function wildcardParent(host: string): string | undefined {
  return host.startsWith('*.') ? host.slice(2) : undefined;
}

/** `x.a.example.com` → `a.example.com` (the domain a wildcard over this host would name). */
export function parentDomain(host: string): string | undefined {
  const dot = host.indexOf('.');
  return dot > 0 && dot < host.length - 1 ? host.slice(dot + 1) : undefined;
}

/** Sort key: creation time, then namespace/name so equal timestamps order the same everywhere. */
export function ageKey(h: { created?: string; namespace: string; name: string }): string {
  return `${h.created ?? '~'} ${h.namespace}/${h.name}`;
}
