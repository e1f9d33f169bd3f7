/**
 * `/mutate/addon-sidecars` (SPEC 3.3): a Pod (or its namespace, as default)
 * names sidecars with `sidecars.harbormaster.io/inject`; each comes from an
 * addon of the catalog and is injected only while that addon is enabled on
 * the Cluster object. Containers become native sidecars (initContainers with
 * restartPolicy Always) where the policy file says the cluster supports them.
 * Idempotent; a container of the same name is left as the user wrote it.
 */
import type { Addon, SidecarSpec } from '../../catalog/catalog.js';
import { parseAddonAnnotations } from '../../catalog/annotations.js';
import type { DecisionBuilder } from '../../policy/decision.js';
import type { Policy, PolicyInput } from '../../policy/types.js';
import { containersOf, findPodSpec, type ContainerRef } from '../shared/podspec.js';
import { rec } from '../../kube/narrow.js';
import { resolveProfile } from '../resource-defaults/profile.js';
import { fitResources } from './fit.js';

export const SIDECARS_ANNOTATION = 'sidecars.harbormaster.io/inject';

const RULES = {
  inject: 'addon-sidecars.inject',
  known: 'addon-sidecars.known-sidecar',
  disabled: 'addon-sidecars.addon-disabled',
} as const;

function list(v: string | undefined): string[] {
  return (v ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

function hasName(items: unknown, name: string): boolean {
  return Array.isArray(items) && items.some((i) => rec(i)?.name === name);
}

function addSharedVolume(out: DecisionBuilder, targets: ContainerRef[], volume: { name: string; mountPath: string }, podPath: readonly string[]): void {
  if (!hasName(rec(out.working.spec)?.volumes, volume.name)) {
    out.append(RULES.inject, [...podPath, 'volumes'], { name: volume.name, emptyDir: { sizeLimit: '1Gi' } });
  }
  for (const c of targets) {
    const mounts = Array.isArray(c.container.volumeMounts) ? c.container.volumeMounts.map(rec) : [];
    if (!mounts.some((m) => m?.name === volume.name || m?.mountPath === volume.mountPath)) {
      out.append(RULES.inject, [...c.segments, 'volumeMounts'], { name: volume.name, mountPath: volume.mountPath });
    }
  }
}

function injectOne(input: PolicyInput, out: DecisionBuilder, sidecar: SidecarSpec, isJobPod: boolean): void {
  const pod = findPodSpec('Pod', out.working);
  if (!pod) return;
  const existing = containersOf(pod);
  if (sidecar.sharedVolume) addSharedVolume(out, existing, sidecar.sharedVolume, pod.path);
  for (const env of sidecar.env ?? []) {
    for (const c of containersOf(findPodSpec('Pod', out.working) ?? pod)) {
      if (!hasName(c.container.env, String(env.name))) out.append(RULES.inject, [...c.segments, 'env'], structuredClone(env));
    }
  }
  if (!sidecar.container || existing.some((c) => c.name === sidecar.name)) return;
  const profile = resolveProfile(input.request.namespace, input.cluster, input.config);
  const resources = profile ? fitResources(sidecar.container.resources, profile.profile.limits.container) : sidecar.container.resources;
  const container: Record<string, unknown> = {
    name: sidecar.name,
    image: sidecar.container.image,
    ...(sidecar.container.args ? { args: [...sidecar.container.args] } : {}),
    ...(resources ? { resources } : {}),
    ...(sidecar.sharedVolume ? { volumeMounts: [{ name: sidecar.sharedVolume.name, mountPath: sidecar.sharedVolume.mountPath, readOnly: true }] } : {}),
    securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
  };
  if (input.config.addonSidecars.native) {
    out.append(RULES.inject, [...pod.path, 'initContainers'], { ...container, restartPolicy: 'Always' });
  } else {
    out.append(RULES.inject, [...pod.path, 'containers'], container);
    if (isJobPod) out.warn(RULES.inject, `sidecar ${sidecar.name} added as a regular container: this Job's Pod will not complete while it runs`);
  }
}

/**
 * The names of the containers this policy injects: the catalog's sidecars
 * that bring a container. Every one is added under exactly this name, which
 * is how other policies (cloud-credentials) recognise a platform sidecar.
 */
export function platformSidecarNames(catalog: readonly Addon[]): string[] {
  return catalog
    .flatMap((a) => a.sidecars)
    .filter((s) => s.container !== undefined)
    .map((s) => s.name);
}

export function addonSidecarsPolicy(catalog: readonly Addon[]): Policy {
  const offered = new Map<string, { addon: Addon; sidecar: SidecarSpec }>();
  for (const addon of catalog) for (const sidecar of addon.sidecars) offered.set(sidecar.name, { addon, sidecar });

  const evaluate = (input: PolicyInput, out: DecisionBuilder): void => {
    const { request, cluster } = input;
    const own = request.object?.metadata?.annotations?.[SIDECARS_ANNOTATION];
    const requested = list(own ?? cluster.getNamespace(request.namespace ?? '')?.annotations[SIDECARS_ANNOTATION]);
    if (requested.length === 0) return;
    const from = own !== undefined ? `metadata.annotations["${SIDECARS_ANNOTATION}"]` : `namespace ${request.namespace} annotation ${SIDECARS_ANNOTATION}`;
    const unknown = requested.filter((n) => !offered.has(n));
    for (const n of unknown) {
      out.deny(RULES.known, `${from} names sidecar "${n.slice(0, 40)}", which no addon offers; available: ${[...offered.keys()].sort().join(', ')}`);
    }
    if (unknown.length > 0) return;
    const enabled = new Set(
      parseAddonAnnotations(cluster.getCluster()?.annotations ?? {}, catalog)
        .settings.filter((s) => s.enabled)
        .map((s) => s.name),
    );
    const isJobPod = (request.object?.metadata?.ownerReferences ?? []).some((o) => o.kind === 'Job');
    for (const name of new Set(requested)) {
      const { addon, sidecar } = offered.get(name)!;
      if (!enabled.has(addon.name)) {
        out.warn(RULES.disabled, `sidecar ${name} not injected: addon ${addon.name} is not enabled on this cluster`);
        continue;
      }
      injectOne(input, out, sidecar, isJobPod);
    }
  };

  const ops = ['CREATE'] as const;
  return {
    name: 'addon-sidecars',
    type: 'mutate',
    description: 'Injects the sidecars that enabled addons offer into Pods that ask for them.',
    rules: [
      {
        id: RULES.inject,
        description: `Adds the sidecars named by ${SIDECARS_ANNOTATION} (Pod, else namespace default): native sidecars where supported, resources fitted to the namespace profile; existing containers, env and mounts are left alone.`,
        action: 'mutate',
        kinds: ['Pod'],
        operations: ops,
      },
      { id: RULES.known, description: 'A requested sidecar must be offered by an addon of the catalog.', action: 'deny', kinds: ['Pod'], operations: ops },
      { id: RULES.disabled, description: 'A sidecar whose addon is not enabled is skipped with a warning.', action: 'warn', kinds: ['Pod'], operations: ops },
    ],
    webhook: {
      rules: [{ apiGroups: [''], apiVersions: ['v1'], resources: ['pods'], operations: ['CREATE'], scope: 'Namespaced' }],
      failurePolicy: 'Ignore',
      failurePolicyReason: 'Fail-open: sidecars ship logs and metrics, a convenience; during an outage a Pod starts without them rather than not at all.',
      namespaced: true,
    },
    evaluate,
  };
}
