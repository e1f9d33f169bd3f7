/** The part of the policy file each policy reads, as short readable lines (once per policy, not per rule). */
import type { ContainerLimits, PolicyConfig, QuotaProfile, ResourceList } from '../config/types.js';

export interface Setting {
  name: string;
  value: string;
}

function list(r: ResourceList | undefined): string {
  const entries = Object.entries(r ?? {});
  return entries.length === 0 ? '—' : entries.map(([k, v]) => `${k} ${v}`).join(', ');
}

function names(xs: readonly string[]): string {
  return xs.length === 0 ? 'none' : xs.join(', ');
}

function containerLine(c: ContainerLimits): string {
  const parts: string[] = [];
  if (c.defaultRequest) parts.push(`default request ${list(c.defaultRequest)}`);
  if (c.default) parts.push(`default limit ${list(c.default)}`);
  if (c.min) parts.push(`min ${list(c.min)}`);
  if (c.max) parts.push(`max ${list(c.max)}`);
  if (c.maxLimitRequestRatio) parts.push(`max limit/request ${list(c.maxLimitRequestRatio)}`);
  return parts.join('; ');
}

function profileLine(p: QuotaProfile): string {
  const parts = [`quota ${list(p.quota.hard)}`, `container: ${containerLine(p.limits.container)}`];
  if (p.limits.pod?.max) parts.push(`pod max ${list(p.limits.pod.max)}`);
  if (p.limits.pvc) parts.push(`claim min ${list(p.limits.pvc.min)}, max ${list(p.limits.pvc.max)}`);
  return `${p.description ? `${p.description} ` : ''}${parts.join(' | ')}`;
}

export function settingsFor(policy: string, config: PolicyConfig): Setting[] {
  switch (policy) {
    case 'resource-defaults':
      return [
        ...Object.entries(config.resourceDefaults.profiles).map(([name, p]) => ({ name: `profile ${name}`, value: profileLine(p) })),
        { name: 'best-effort Pods per namespace that allows them', value: String(config.resourceDefaults.bestEffortPods) },
        { name: 'trusted writers of the managed LimitRange/ResourceQuota', value: names(config.resourceDefaults.trustedWriters) },
      ];
    case 'tenancy':
      return [
        { name: 'platform users', value: names(config.platform.users) },
        { name: 'platform groups', value: names(config.platform.groups) },
        { name: 'platform ServiceAccounts', value: names(config.platform.serviceAccounts) },
      ];
    case 'loadbalancer':
      return [
        ...config.loadBalancer.vipPools.map((p) => ({
          name: `VIP pool ${p.name}`,
          value: `${p.cidrs.join(', ')}${p.namespaces ? ` (only namespaces ${p.namespaces.join(', ')})` : ' (any namespace)'}`,
        })),
        { name: 'namespaces allowed spec.externalIPs', value: names(config.loadBalancer.externalIPNamespaces) },
      ];
    case 'ingress':
      return [
        { name: 'classes', value: names(config.ingress.classes.map((c) => (c.default ? `${c.name} (default)` : c.name))) },
        { name: 'namespaces that may claim a catch-all', value: names(config.ingress.catchAllNamespaces) },
        { name: 'VIP pools (for lb.harbormaster.io/vip on Ingresses)', value: names(config.loadBalancer.vipPools.map((p) => p.name)) },
      ];
    case 'addon-sidecars':
      return [{ name: 'native sidecars (initContainers, restartPolicy Always)', value: String(config.addonSidecars.native) }];
    default:
      return [];
  }
}
