/**
 * `/validate/loadbalancer`: Services of `type: LoadBalancer` against the
 * hardware load balancer's contract (SPEC 3.4), plus `externalIPs` for every
 * Service type. VIP sharing is checked against the Service cache and names
 * the Service in the way.
 */
import type { DecisionBuilder } from '../../policy/decision.js';
import type { Policy, PolicyInput } from '../../policy/types.js';
import type { ServiceInfo } from '../../cluster/view.js';
import { rec } from '../shared/podspec.js';
import { inCidr, parseCanonicalCIDR, parseCanonicalIP } from '../shared/ip.js';
import { shown } from '../shared/values.js';
import { checkLbAnnotations } from './annotations.js';
import { LB_PREFIX, RULES } from './names.js';

interface Port { port: number; protocol: string }

function portsOf(spec: Record<string, unknown>): Port[] {
  return (Array.isArray(spec.ports) ? spec.ports : []).map((p) => {
    const r = rec(p) ?? {};
    return { port: typeof r.port === 'number' ? r.port : 0, protocol: typeof r.protocol === 'string' ? r.protocol : 'TCP' };
  });
}

function vipOf(s: ServiceInfo): string | undefined {
  return s.annotations[`${LB_PREFIX}vip`] ?? s.loadBalancerIP;
}

function checkVip(input: PolicyInput, vip: string, field: string, out: DecisionBuilder): boolean {
  const parsed = parseCanonicalIP(vip);
  if (!parsed.addr) {
    out.deny(RULES.vip, `${field} ${shown(vip)} ${parsed.problem}`);
    return false;
  }
  const ns = input.request.namespace ?? '';
  const pools = input.config.loadBalancer.vipPools;
  const pool = pools.find((p) => p.cidrs.some((c) => inCidr(parsed.addr!, c)));
  if (!pool) {
    out.deny(RULES.vip, `${field} ${shown(vip)} is in none of the cluster's VIP pools (${pools.map((p) => `${p.name}: ${p.cidrs.join(', ')}`).join('; ') || 'none configured'})`);
    return false;
  }
  if (pool.namespaces && !pool.namespaces.includes(ns)) {
    out.deny(RULES.vip, `${field} ${shown(vip)} is in VIP pool "${pool.name}", which namespace ${ns} may not use`);
    return false;
  }
  return true;
}

function checkSharing(input: PolicyInput, vip: string, key: string | undefined, ports: Port[], out: DecisionBuilder): void {
  const { request, cluster } = input;
  const self = `${request.namespace}/${request.name ?? request.object?.metadata?.name}`;
  for (const other of cluster.listServices()) {
    if (other.type !== 'LoadBalancer' || `${other.namespace}/${other.name}` === self || vipOf(other) !== vip) continue;
    const otherKey = other.annotations[`${LB_PREFIX}shared-vip-key`];
    if (key === undefined || otherKey !== key) {
      out.deny(RULES.sharedVip, `VIP ${vip} is already used by Service ${other.namespace}/${other.name}${otherKey ? ` with shared-vip-key "${otherKey}"` : ''}; sharing needs the same ${LB_PREFIX}shared-vip-key on both`);
      continue;
    }
    for (const p of ports) {
      if (other.ports.some((o) => o.port === p.port && o.protocol === p.protocol)) {
        out.deny(RULES.sharedVip, `port ${p.port}/${p.protocol} on VIP ${vip} is already served by Service ${other.namespace}/${other.name}`);
      }
    }
  }
}

function evaluate(input: PolicyInput, out: DecisionBuilder): void {
  const { request, config } = input;
  if (request.kind.kind !== 'Service' || (request.operation !== 'CREATE' && request.operation !== 'UPDATE')) return;
  const svc = request.object;
  const spec = rec(svc?.spec) ?? {};
  const ns = request.namespace ?? '';
  const externalIPs = Array.isArray(spec.externalIPs) ? spec.externalIPs : [];
  if (externalIPs.length > 0 && !config.loadBalancer.externalIPNamespaces.includes(ns)) {
    out.deny(RULES.externalIPs, `spec.externalIPs is not allowed in namespace ${ns} (it lets a Service claim any address); use type: LoadBalancer with a VIP`);
  }
  // Annotations of a Service that is (or became) another type have no effect; they are checked again if it turns back.
  if (spec.type !== 'LoadBalancer') return;

  const lb = checkLbAnnotations(svc?.metadata?.annotations ?? {}, spec, out);
  const ports = portsOf(spec);
  ports.forEach((p, i) => {
    if (p.protocol !== 'TCP' && p.protocol !== 'UDP') out.deny(RULES.protocols, `spec.ports[${i}].protocol "${p.protocol}" is not supported by the load balancer; use TCP or UDP`);
  });
  const ranges = Array.isArray(spec.loadBalancerSourceRanges) ? spec.loadBalancerSourceRanges : [];
  ranges.forEach((r, i) => {
    const parsed = typeof r === 'string' ? parseCanonicalCIDR(r) : { problem: 'is not a CIDR' };
    if (parsed.problem) out.deny(RULES.sourceRanges, `spec.loadBalancerSourceRanges[${i}] ${shown(String(r))} ${parsed.problem}`);
  });

  const lbIP = typeof spec.loadBalancerIP === 'string' && spec.loadBalancerIP ? spec.loadBalancerIP : undefined;
  if (lb.vip !== undefined && lbIP !== undefined && lb.vip !== lbIP) {
    out.deny(RULES.vip, `spec.loadBalancerIP ${shown(lbIP)} and ${LB_PREFIX}vip ${shown(lb.vip)} differ; set one`);
    return;
  }
  const vip = lb.vip ?? lbIP;
  if (vip === undefined) return;
  const field = lb.vip !== undefined ? `metadata.annotations["${LB_PREFIX}vip"]` : 'spec.loadBalancerIP';
  if (checkVip(input, vip, field, out)) checkSharing(input, vip, lb.sharedVipKey, ports, out);
}

export const loadBalancerValidate: Policy = {
  name: 'loadbalancer',
  type: 'validate',
  description: 'Validates Services of type LoadBalancer for the hardware load balancer, and externalIPs.',
  rules: [
    { id: RULES.knownKeys, description: `Only the documented ${LB_PREFIX} keys; an unknown key is denied with the closest valid key suggested.`, action: 'deny', kinds: ['Service'], operations: ['CREATE', 'UPDATE'] },
    { id: RULES.values, description: 'Each lb annotation value is type-checked (algorithm, dsr with externalTrafficPolicy Local, health-check interval/timeout/path, idle-timeout, shared-vip-key).', action: 'deny', kinds: ['Service'], operations: ['CREATE', 'UPDATE'] },
    { id: RULES.vip, description: 'The VIP (annotation or spec.loadBalancerIP) is a canonical IPv4/IPv6 address inside a VIP pool the namespace may use.', action: 'deny', kinds: ['Service'], operations: ['CREATE', 'UPDATE'] },
    { id: RULES.sharedVip, description: 'A VIP is shared only between Services with the same shared-vip-key and without overlapping port/protocol.', action: 'deny', kinds: ['Service'], operations: ['CREATE', 'UPDATE'] },
    { id: RULES.sourceRanges, description: 'spec.loadBalancerSourceRanges are canonical CIDRs.', action: 'deny', kinds: ['Service'], operations: ['CREATE', 'UPDATE'] },
    { id: RULES.protocols, description: 'Ports of a LoadBalancer Service are TCP or UDP.', action: 'deny', kinds: ['Service'], operations: ['CREATE', 'UPDATE'] },
    { id: RULES.externalIPs, description: 'spec.externalIPs only in namespaces the policy file allows.', action: 'deny', kinds: ['Service'], operations: ['CREATE', 'UPDATE'] },
  ],
  webhook: {
    rules: [{ apiGroups: [''], apiVersions: ['v1'], resources: ['services'], operations: ['CREATE', 'UPDATE'], scope: 'Namespaced' }],
    failurePolicy: 'Fail',
    failurePolicyReason:
      'Fail-closed: a VIP outside the pools or shared without a key would be programmed into the hardware load balancer and could take over another tenant\'s traffic; Service writes in system namespaces are excluded.',
    namespaced: true,
  },
  evaluate,
};
