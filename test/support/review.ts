/** Builders for AdmissionReview bodies in tests. */
import { randomUUID } from 'node:crypto';
import type { AdmissionRequest, KubeObject, Operation } from '../../src/kube/types.js';

export function podObject(name: string, containers: unknown[], extra: Record<string, unknown> = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, ...extra }, spec: { containers } };
}

export function admissionRequest(
  object: KubeObject | null,
  options: { operation?: Operation; namespace?: string; username?: string; groups?: string[]; oldObject?: KubeObject | null } = {},
): AdmissionRequest {
  const kind = String(object?.kind ?? options.oldObject?.kind ?? 'Pod');
  const apiVersion = String(object?.apiVersion ?? options.oldObject?.apiVersion ?? 'v1');
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  const name = object?.metadata?.name ?? options.oldObject?.metadata?.name;
  return {
    uid: randomUUID(),
    kind: { group: group ?? '', version: version ?? 'v1', kind },
    resource: { group: group ?? '', version: version ?? 'v1', resource: kind.toLowerCase() + 's' },
    operation: options.operation ?? 'CREATE',
    userInfo: { username: options.username ?? 'tenant', ...(options.groups ? { groups: options.groups } : {}) },
    ...(name ? { name } : {}),
    ...(kind === 'Namespace' ? {} : { namespace: options.namespace ?? 'team-a' }),
    object,
    oldObject: options.oldObject ?? null,
  };
}

export function reviewBody(request: AdmissionRequest): Record<string, unknown> {
  return { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request };
}
