/** Addresses and CIDRs, parsed with ipaddr.js (never regexes), with canonical-form checks. */
import ipaddr from 'ipaddr.js';

export type Address = ipaddr.IPv4 | ipaddr.IPv6;

/** Canonical text of an address: dotted decimal, or RFC 5952 for IPv6. */
export function canonical(addr: Address): string {
  return addr.kind() === 'ipv6' ? (addr as ipaddr.IPv6).toRFC5952String() : addr.toString();
}

/** Parses an address that must already be in canonical form (no leading zeros, lower-case compressed IPv6). */
export function parseCanonicalIP(text: string): { addr?: Address; problem?: string } {
  const isV4 = ipaddr.IPv4.isValidFourPartDecimal(text);
  if (!isV4 && !ipaddr.IPv6.isValid(text)) return { problem: 'is not an IP address' };
  const addr: Address = ipaddr.parse(text);
  if (addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress()) return { problem: 'is an IPv4-mapped IPv6 address; use the IPv4 address' };
  const c = canonical(addr);
  if (c !== text) return { problem: `is not in canonical form (write "${c}")` };
  return { addr };
}

/** A CIDR in canonical form: network address (no host bits) and canonical address text. */
export function parseCanonicalCIDR(text: string): { range?: [Address, number]; problem?: string } {
  const slash = text.indexOf('/');
  if (slash < 0) return { problem: 'is not a CIDR' };
  const ip = parseCanonicalIP(text.slice(0, slash));
  const bits = text.slice(slash + 1);
  if (!ip.addr || !/^(0|[1-9][0-9]{0,2})$/.test(bits)) return { problem: 'is not a CIDR' };
  const max = ip.addr.kind() === 'ipv4' ? 32 : 128;
  const prefix = Number(bits);
  if (prefix > max) return { problem: 'is not a CIDR' };
  const network = ip.addr.kind() === 'ipv4' ? ipaddr.IPv4.networkAddressFromCIDR(text) : ipaddr.IPv6.networkAddressFromCIDR(text);
  const want = `${canonical(network)}/${prefix}`;
  if (want !== text) return { problem: `is not in canonical form (write "${want}")` };
  return { range: [ip.addr, prefix] };
}

export function inCidr(addr: Address, cidr: string): boolean {
  try {
    const range = ipaddr.parseCIDR(cidr);
    return addr.kind() === range[0].kind() && addr.match(range);
  } catch {
    return false;
  }
}
