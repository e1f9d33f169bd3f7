/**
 * `/validate/loadbalancer`: Services of `type: LoadBalancer` against the
 * hardware load balancer's contract (SPEC 3.4), plus `externalIPs` for every
 * Service type. VIP sharing is checked against the Service cache and names
 * the Service in the way.
 */
import type { DecisionBuilder } from '../../policy/decision.js';
import type { Policy, PolicyInput, RuleInfo } from '../../policy/types.js';
import { serviceVips, vipKey } from '../../policy/claims.js';
import { slimService } from '../../policy/slim.js';
import { rec } from '../../kube/narrow.js';
import { parseCanonicalCIDR } from '../shared/ip.js';
import { checkShareWith, type Claimant } from '../shared/ownership.js';
import { checkVipPool, checkVipUse } from '../shared/vip.js';
import { shown } from '../shared/values.js';
import { checkLbAnnotations } from './annotations.js';
import { LB_PREFIX, RULES } from './names.js';

interface Port {
  port: number;
  protocol: string;
}

function portsOf(spec: Record<string, unknown>): Port[] {
  return (Array.isArray(spec.ports) ? spec.ports : []).map((p) => {
    const r = rec(p) ?? {};
    return { port: typeof r.port === 'number' ? r.port : 0, protocol: typeof r.protocol === 'string' ? r.protocol : 'TCP' };
  });
}

/** Who is asking, and since when it has held `vip` (only if its previous version held it too). */
function claimant(request: PolicyInput['request'], vip: string): Claimant {
  const namespace = request.namespace ?? '';
  const name = request.name ?? request.object?.metadata?.name ?? '';
  const old = request.oldObject ? serviceVips(slimService({ ...request.oldObject, metadata: { ...request.oldObject.metadata, namespace } })) : [];
  const created = request.object?.metadata?.creationTimestamp;
  const key = vipKey(vip);
  return { kind: 'Service', namespace, name, ...(key && old.includes(key) && typeof created === 'string' ? { created } : {}) };
}

function checkExternalIPs(spec: Record<string, unknown>, ns: string, config: PolicyInput['config'], out: DecisionBuilder): void {
  const externalIPs = Array.isArray(spec.externalIPs) ? spec.externalIPs : [];
  if (externalIPs.length > 0 && !config.loadBalancer.externalIPNamespaces.includes(ns)) {
    out.deny(RULES.externalIPs, `spec.externalIPs is not allowed in namespace ${ns} (it lets a Service claim any address); use type: LoadBalancer with a VIP`);
  }
}

/** Protocols the load balancer supports, and source ranges as canonical CIDRs. */
function checkPortsAndRanges(spec: Record<string, unknown>, ports: Port[], out: DecisionBuilder): void {
  ports.forEach((p, i) => {
    if (p.protocol !== 'TCP' && p.protocol !== 'UDP')
      out.deny(RULES.protocols, `spec.ports[${i}].protocol "${p.protocol}" is not supported by the load balancer; use TCP or UDP`);
  });
  const ranges = Array.isArray(spec.loadBalancerSourceRanges) ? spec.loadBalancerSourceRanges : [];
  ranges.forEach((r, i) => {
    const parsed = typeof r === 'string' ? parseCanonicalCIDR(r) : { problem: 'is not a CIDR' };
    if (parsed.problem) out.deny(RULES.sourceRanges, `spec.loadBalancerSourceRanges[${i}] ${shown(String(r))} ${parsed.problem}`);
  });
}

function evaluate(input: PolicyInput, out: DecisionBuilder): void {
  const { request, config } = input;
  const svc = request.object;
  const spec = rec(svc?.spec) ?? {};
  const ns = request.namespace ?? '';
  checkExternalIPs(spec, ns, config, out);
  // Annotations of a Service that is (or became) another type have no effect; they are checked again if it turns back.
  if (spec.type !== 'LoadBalancer') return;
  const annotations = svc?.metadata?.annotations ?? {};
  checkShareWith(annotations, RULES.shareWith, out);
  const lb = checkLbAnnotations(annotations, spec, out);
  const ports = portsOf(spec);
  checkPortsAndRanges(spec, ports, out);
  const lbIP = typeof spec.loadBalancerIP === 'string' && spec.loadBalancerIP ? spec.loadBalancerIP : undefined;
  if (lb.vip !== undefined && lbIP !== undefined && lb.vip !== lbIP) {
    out.deny(RULES.vip, `spec.loadBalancerIP ${shown(lbIP)} and ${LB_PREFIX}vip ${shown(lb.vip)} differ; set one`);
    return;
  }
  const vip = lb.vip ?? lbIP;
  if (vip === undefined) return;
  const field = lb.vip !== undefined ? `metadata.annotations["${LB_PREFIX}vip"]` : 'spec.loadBalancerIP';
  if (!checkVipPool({ vip, field, namespace: ns, config, rule: RULES.vip, out })) return;
  checkVipUse({
    vip,
    field,
    me: claimant(request, vip),
    ports,
    cluster: input.cluster,
    out,
    ...(lb.sharedVipKey !== undefined ? { sharedVipKey: lb.sharedVipKey } : {}),
    rules: { owner: RULES.vipOwner, sharing: RULES.sharedVip },
  });
}

/** Every rule of this policy denies, on Services, at CREATE and UPDATE. */
const serviceRule = (id: string, description: string): RuleInfo => ({ id, description, action: 'deny', kinds: ['Service'], operations: ['CREATE', 'UPDATE'] });

export const loadBalancerValidate: Policy = {
  name: 'loadbalancer',
  type: 'validate',
  description: 'Validates Services of type LoadBalancer for the hardware load balancer, and externalIPs.',
  rules: [
    serviceRule(RULES.knownKeys, `Only the documented ${LB_PREFIX} keys; an unknown key is denied with the closest valid key suggested.`),
    serviceRule(
      RULES.values,
      'Each lb annotation value is type-checked (algorithm, dsr with externalTrafficPolicy Local, health-check interval/timeout/path, idle-timeout, shared-vip-key).',
    ),
    serviceRule(RULES.vip, 'The VIP (annotation or spec.loadBalancerIP) is a canonical IPv4/IPv6 address inside a VIP pool the namespace may use.'),
    serviceRule(
      RULES.vipOwner,
      'A VIP belongs to the namespace of its oldest holder (Service annotation, spec.loadBalancerIP, status.loadBalancer.ingress, Ingress static-vip); another namespace may use it only if the owning object names it in harbormaster.io/share-with.',
    ),
    serviceRule(
      RULES.sharedVip,
      'Services on one VIP need the same shared-vip-key (not consent by itself) and no overlapping port/protocol; an Ingress on the VIP holds 80 and 443.',
    ),
    serviceRule(RULES.shareWith, 'harbormaster.io/share-with is a comma-separated list of namespace names.'),
    serviceRule(RULES.sourceRanges, 'spec.loadBalancerSourceRanges are canonical CIDRs.'),
    serviceRule(RULES.protocols, 'Ports of a LoadBalancer Service are TCP or UDP.'),
    serviceRule(RULES.externalIPs, 'spec.externalIPs only in namespaces the policy file allows.'),
  ],
  webhook: {
    rules: [{ apiGroups: [''], apiVersions: ['v1'], resources: ['services'], operations: ['CREATE', 'UPDATE'], scope: 'Namespaced' }],
    failurePolicy: 'Fail',
    failurePolicyReason:
      "Fail-closed: a VIP outside the pools or shared without a key would be programmed into the hardware load balancer and could take over another tenant's traffic; Service writes in system namespaces are excluded.",
    namespaced: true,
  },
  evaluate,
};
