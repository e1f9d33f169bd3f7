/**
 * Fixtures for the issue 11 resource-defaults tests: the shipped policy plus a
 * profile naming a GPU, ephemeral-storage and hugepages (loading it also
 * proves the schema takes those names), a cluster with one namespace per
 * profile, and evaluate() wrappers for both policies.
 */
import { readFileSync } from 'node:fs';
import { evaluate } from '../../src/admission/engine.js';
import type { KubeObject } from '../../src/kube/types.js';
import { storeFromObjects } from '../../src/cluster/static.js';
import { parseConfig } from '../../src/config/load.js';
import type { PolicyConfig } from '../../src/config/types.js';
import { DEFAULT_POLICY_FILE } from '../../src/paths.js';
import { resourceDefaultsMutate } from '../../src/policies/resource-defaults/mutate.js';
import { resourceDefaultsValidate } from '../../src/policies/resource-defaults/validate.js';
import { admissionRequest, podObject } from './review.js';

const GPU_PROFILE = `
    gpu:
      quota:
        hard: { requests.cpu: "16", requests.nvidia.com/gpu: "4", requests.hugepages-2Mi: 4Gi }
      limits:
        container:
          default: { cpu: 500m, memory: 512Mi, ephemeral-storage: 1Gi }
          defaultRequest: { cpu: 100m, memory: 128Mi, ephemeral-storage: 256Mi }
          max: { cpu: "4", memory: 8Gi, nvidia.com/gpu: "2", ephemeral-storage: 10Gi, hugepages-2Mi: 1Gi }
          maxLimitRequestRatio: { cpu: "10", memory: "4" }
        pod:
          max: { cpu: "8", memory: 16Gi, nvidia.com/gpu: "2" }
`;
const text = readFileSync(DEFAULT_POLICY_FILE, 'utf8').replace('  profiles:\n', `  profiles:${GPU_PROFILE}`);
const parsed = parseConfig(text);
if (!parsed.ok) throw new Error(`policy with gpu profile invalid: ${JSON.stringify(parsed.problems)}`);
export const config: PolicyConfig = parsed.config;

const ns = (name: string, annotations: Record<string, string> = {}): KubeObject => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, annotations } });
export const cluster = storeFromObjects([
  ns('team-b'),
  ns('team-a', { 'harbormaster.io/quota-profile': 'small' }),
  ns('ml', { 'harbormaster.io/quota-profile': 'gpu' }),
]);

export type Res = { limits?: Record<string, string>; requests?: Record<string, string> };
/** A one-container Pod; `podLevel` is its pod-level spec.resources. */
export const pod = (resources: Res, extra: Record<string, unknown> = {}, podLevel?: Res): KubeObject => {
  const p = podObject('p', [{ name: 'app', image: 'x', resources }], extra);
  if (podLevel) (p.spec as Record<string, unknown>).resources = podLevel;
  return p;
};
export const mutate = (obj: KubeObject, namespace = 'team-b') =>
  evaluate({ policy: resourceDefaultsMutate, request: admissionRequest(obj, { namespace }), cluster, config });
export const validate = (obj: KubeObject, namespace = 'team-b', extra: { subResource?: string; oldObject?: KubeObject } = {}) => {
  const request = {
    ...admissionRequest(obj, { namespace, operation: extra.subResource ? 'UPDATE' : 'CREATE', ...(extra.oldObject ? { oldObject: extra.oldObject } : {}) }),
    ...(extra.subResource ? { subResource: extra.subResource } : {}),
  };
  return evaluate({ policy: resourceDefaultsValidate, request, cluster, config });
};
export const resourcesOf = (d: { mutated?: KubeObject }) => (d.mutated?.spec as { containers: Array<{ resources: unknown }> }).containers[0]?.resources;
// What LimitRanger leaves behind in a namespace with defaults, before any webhook runs.
export const limitRanged = (resources: Res, annotation: string) =>
  pod(resources, { annotations: { 'kubernetes.io/limit-ranger': `LimitRanger plugin set: ${annotation}` } });
