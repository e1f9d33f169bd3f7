/**
 * VIP rules shared by the `loadbalancer` policy (a Service's VIP) and the
 * `ingress` policy (`ingress.harbormaster.io/static-vip`): SPEC 3.4 says the
 * two follow exactly the same pool, ownership and sharing rules, so they are
 * written once.
 */
import { vipKey } from '../../policy/claims.js';
import type { ClusterView, ServicePortInfo, VipHolder } from '../../policy/view.js';
import type { PolicyConfig } from '../../config/types.js';
import type { DecisionBuilder } from '../../policy/decision.js';
import { inCidr, parseCanonicalIP } from './ip.js';
import { consentHint, ownershipFor, since, type Claimant } from './ownership.js';
import { shown } from './values.js';

/** The VIP is a canonical address in a pool the namespace may use; returns false after denying. */
export function checkVipPool(args: { vip: string; field: string; namespace: string; config: PolicyConfig; rule: string; out: DecisionBuilder }): boolean {
  const { vip, field, namespace, rule, out } = args;
  const parsed = parseCanonicalIP(vip);
  if (!parsed.addr) {
    out.deny(rule, `${field} ${shown(vip)} ${parsed.problem ?? 'is not an IP address'}`);
    return false;
  }
  const pools = args.config.loadBalancer.vipPools;
  const pool = pools.find((p) => p.cidrs.some((c) => inCidr(parsed.addr!, c)));
  if (!pool) {
    out.deny(
      rule,
      `${field} ${shown(vip)} is in none of the cluster's VIP pools (${pools.map((p) => `${p.name}: ${p.cidrs.join(', ')}`).join('; ') || 'none configured'})`,
    );
    return false;
  }
  if (pool.namespaces && !pool.namespaces.includes(namespace)) {
    out.deny(rule, `${field} ${shown(vip)} is in VIP pool "${pool.name}", which namespace ${namespace} may not use`);
    return false;
  }
  return true;
}

export interface VipUse {
  vip: string;
  field: string;
  me: Claimant;
  ports: readonly ServicePortInfo[];
  /** The Service's shared-vip-key; undefined for an Ingress (which has none). */
  sharedVipKey?: string;
  cluster: ClusterView;
  rules: { owner: string; sharing: string };
  out: DecisionBuilder;
}

function portClash(mine: readonly ServicePortInfo[], theirs: readonly ServicePortInfo[]): ServicePortInfo | undefined {
  return mine.find((p) => theirs.some((o) => o.port === p.port && o.protocol === p.protocol));
}

/**
 * Ownership first (the oldest holder's namespace, consent by share-with),
 * then sharing between the objects on the VIP: Services need one shared-vip-key
 * and no port/protocol in common; an Ingress holds 80 and 443.
 */
export function checkVipUse(u: VipUse): void {
  const key = vipKey(u.vip);
  if (!key) return;
  const holders = u.cluster.ownership.vipHolders(key);
  const own = ownershipFor(holders, u.me);
  if (own?.verdict === 'foreign') {
    u.out.deny(
      u.rules.owner,
      `${u.field} ${shown(u.vip)} belongs to namespace ${own.owner.namespace} (${own.owner.kind} ${own.owner.namespace}/${own.owner.name} holds it${since(own.owner)}); ${consentHint(own.owner, u.me.namespace)}`,
    );
    return;
  }
  for (const other of holders) {
    if (other.kind === u.me.kind && other.namespace === u.me.namespace && other.name === u.me.name) continue;
    checkSharing(u, other);
  }
}

function checkSharing(u: VipUse, other: VipHolder): void {
  const bothIngress = u.me.kind === 'Ingress' && other.kind === 'Ingress';
  if (bothIngress) return; // one ingress controller serves both, by host
  if (u.me.kind === 'Service' && other.kind === 'Service' && (u.sharedVipKey === undefined || other.sharedVipKey !== u.sharedVipKey)) {
    u.out.deny(
      u.rules.sharing,
      `VIP ${u.vip} is already used by Service ${other.namespace}/${other.name}${other.sharedVipKey ? ` with shared-vip-key "${other.sharedVipKey}"` : ''}; sharing needs the same lb.harbormaster.io/shared-vip-key on both`,
    );
    return;
  }
  const clash = portClash(u.ports, other.ports);
  if (clash)
    u.out.deny(u.rules.sharing, `port ${clash.port}/${clash.protocol} on VIP ${u.vip} is already served by ${other.kind} ${other.namespace}/${other.name}`);
}
