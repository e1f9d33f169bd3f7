/**
 * `/mutate/cloud-credentials`: mounts the credentials a Pod asks for (its own
 * annotation, or its ServiceAccount's) into every container and
 * initContainer not skipped. Only Secrets of the two credential types in the
 * Pod's own namespace, known from the cache (name/namespace/type only).
 * What a container already has is left alone, so re-invocation adds nothing.
 */
import { createHash } from 'node:crypto';
import type { DecisionBuilder } from '../../policy/decision.js';
import type { Policy, PolicyInput } from '../../policy/types.js';
import { containersOf, findPodSpec, rec, type ContainerRef } from '../shared/podspec.js';
import {
  AWS_KEYS, AWS_TYPE, GCP_KEY_FILE, GCP_MOUNT_ROOT, GCP_TYPE, POD_INJECT_ANNOTATION, RULES, SA_SECRET_ANNOTATION, SKIP_CONTAINERS_ANNOTATION,
} from './names.js';

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

interface Credential {
  name: string;
  provider: 'gcp' | 'aws';
  from: string;
}

function list(value: string | undefined): string[] {
  return (value ?? '').split(',').map((s) => s.trim()).filter((s) => s.length > 0);
}

/**
 * `hm-gcp-<secret>` as SPEC 3.2 names it. A volume name must be a DNS label
 * (≤ 63, no dots), a Secret name need not be: such names are shortened with a
 * hash so two Secrets never share a volume.
 */
export function gcpVolumeName(secret: string): string {
  const plain = `hm-gcp-${secret}`;
  if (plain.length <= 63 && !secret.includes('.')) return plain;
  const hash = createHash('sha256').update(secret).digest('hex').slice(0, 8);
  return `hm-gcp-${secret.replace(/\./g, '-').slice(0, 46).replace(/-+$/, '')}-${hash}`;
}

function resolve({ request, cluster }: PolicyInput, out: DecisionBuilder): Credential[] | undefined {
  const pod = request.object;
  const ns = request.namespace ?? '';
  const spec = rec(pod?.spec) ?? {};
  const saName = typeof spec.serviceAccountName === 'string' && spec.serviceAccountName ? spec.serviceAccountName : 'default';
  const refs: Array<{ ref: string; from: string }> = [
    ...list(pod?.metadata?.annotations?.[POD_INJECT_ANNOTATION]).map((ref) => ({ ref, from: `metadata.annotations["${POD_INJECT_ANNOTATION}"]` })),
    ...list(cluster.getServiceAccount(ns, saName)?.annotations[SA_SECRET_ANNOTATION]).map((ref) => ({ ref, from: `ServiceAccount ${ns}/${saName}` })),
  ];
  const creds: Credential[] = [];
  let ok = true;
  for (const { ref, from } of refs) {
    let name = ref;
    if (ref.includes('/')) {
      const [refNs, refName = ''] = ref.split('/', 2);
      if (refNs !== ns) {
        out.deny(RULES.reference, `${from} references Secret "${ref}" in another namespace; create a copy in ${ns} and reference it by name`);
        ok = false;
        continue;
      }
      name = refName;
    }
    if (!DNS_SUBDOMAIN.test(name) || name.length > 253) {
      out.deny(RULES.reference, `${from} names "${name.slice(0, 64)}", which is not a valid Secret name`);
      ok = false;
      continue;
    }
    const secret = cluster.getSecret(ns, name);
    if (!secret) {
      out.deny(RULES.reference, `${from} references Secret ${ns}/${name}, which does not exist (of type ${GCP_TYPE} or ${AWS_TYPE}); create it first`);
      ok = false;
      continue;
    }
    if (secret.type !== GCP_TYPE && secret.type !== AWS_TYPE) {
      out.deny(RULES.reference, `${from} references Secret ${ns}/${name} of type "${secret.type}"; only ${GCP_TYPE} and ${AWS_TYPE} Secrets are injected`);
      ok = false;
      continue;
    }
    if (!creds.some((c) => c.name === name)) creds.push({ name, provider: secret.type === GCP_TYPE ? 'gcp' : 'aws', from });
  }
  for (const provider of ['gcp', 'aws'] as const) {
    const of = creds.filter((c) => c.provider === provider);
    if (of.length > 1) {
      out.deny(RULES.onePerProvider, `${of.map((c) => `${c.name} (${c.from})`).join(' and ')} are both ${provider === 'gcp' ? GCP_TYPE : AWS_TYPE}; a Pod can use one credential per provider — drop one reference`);
      ok = false;
    }
  }
  return ok ? creds : undefined;
}

function hasEnv(c: ContainerRef, name: string): boolean {
  return Array.isArray(c.container.env) && c.container.env.some((e) => rec(e)?.name === name);
}

function addEnv(out: DecisionBuilder, c: ContainerRef, env: Record<string, unknown>): void {
  if (hasEnv(c, String(env.name))) return;
  out.append(RULES.inject, [...c.segments, 'env'], env);
}

function injectGcp(out: DecisionBuilder, cred: Credential, targets: ContainerRef[], specPath: readonly string[]): void {
  const volume = gcpVolumeName(cred.name);
  const dir = `${GCP_MOUNT_ROOT}/${cred.name}`;
  const volumes = rec(out.working.spec)?.volumes;
  if (!(Array.isArray(volumes) && volumes.some((v) => rec(v)?.name === volume))) {
    out.append(RULES.inject, [...specPath, 'volumes'], { name: volume, secret: { secretName: cred.name, defaultMode: 0o440 } });
  }
  for (const c of targets) {
    const mounts = Array.isArray(c.container.volumeMounts) ? c.container.volumeMounts.map(rec) : [];
    if (!mounts.some((m) => m?.name === volume || m?.mountPath === dir)) {
      out.append(RULES.inject, [...c.segments, 'volumeMounts'], { name: volume, mountPath: dir, readOnly: true });
    }
    addEnv(out, c, { name: 'GOOGLE_APPLICATION_CREDENTIALS', value: `${dir}/${GCP_KEY_FILE}` });
  }
}

function injectAws(out: DecisionBuilder, cred: Credential, targets: ContainerRef[]): void {
  const ref = (key: string, optional: boolean) => ({ secretKeyRef: { name: cred.name, key, ...(optional ? { optional: true } : {}) } });
  for (const c of targets) {
    addEnv(out, c, { name: 'AWS_ACCESS_KEY_ID', valueFrom: ref(AWS_KEYS.accessKeyId, false) });
    addEnv(out, c, { name: 'AWS_SECRET_ACCESS_KEY', valueFrom: ref(AWS_KEYS.secretAccessKey, false) });
    addEnv(out, c, { name: 'AWS_SESSION_TOKEN', valueFrom: ref(AWS_KEYS.sessionToken, true) });
    addEnv(out, c, { name: 'AWS_REGION', valueFrom: ref(AWS_KEYS.region, true) });
    addEnv(out, c, { name: 'AWS_DEFAULT_REGION', valueFrom: ref(AWS_KEYS.region, true) });
  }
}

function evaluate(input: PolicyInput, out: DecisionBuilder): void {
  const { request } = input;
  if (request.kind.kind !== 'Pod' || request.operation !== 'CREATE') return;
  const creds = resolve(input, out);
  if (!creds || creds.length === 0) return;
  // Re-read the pod spec from the working copy: earlier appends must be visible to later checks.
  const pod = findPodSpec('Pod', out.working);
  if (!pod) return;
  const skip = list(request.object?.metadata?.annotations?.[SKIP_CONTAINERS_ANNOTATION]);
  const all = containersOf(pod);
  for (const name of skip) {
    if (!all.some((c) => c.name === name)) out.warn(RULES.skipContainers, `skip-containers names "${name.slice(0, 40)}", which is not a container of this Pod`);
  }
  const targets = () => containersOf(findPodSpec('Pod', out.working) ?? pod).filter((c) => !skip.includes(c.name));
  for (const cred of creds) {
    if (cred.provider === 'gcp') injectGcp(out, cred, targets(), pod.path);
    else injectAws(out, cred, targets());
  }
}

export const cloudCredentialsInject: Policy = {
  name: 'cloud-credentials',
  type: 'mutate',
  description: 'Injects gcp-credential / aws-credential Secrets into Pods that ask for them.',
  rules: [
    {
      id: RULES.inject,
      description: `Mounts the Secrets named by ${POD_INJECT_ANNOTATION} or the ServiceAccount's ${SA_SECRET_ANNOTATION} into every container and initContainer (GCP: volume + GOOGLE_APPLICATION_CREDENTIALS; AWS: secretKeyRef env).`,
      action: 'mutate',
      kinds: ['Pod'],
      operations: ['CREATE'],
    },
    {
      id: RULES.reference,
      description: 'A referenced credential must be a gcp-credential or aws-credential Secret that exists in the Pod\'s own namespace.',
      action: 'deny',
      kinds: ['Pod'],
      operations: ['CREATE'],
    },
    {
      id: RULES.onePerProvider,
      description: 'A Pod gets at most one credential per provider.',
      action: 'deny',
      kinds: ['Pod'],
      operations: ['CREATE'],
    },
    {
      id: RULES.skipContainers,
      description: `Warns when ${SKIP_CONTAINERS_ANNOTATION} names a container the Pod does not have.`,
      action: 'warn',
      kinds: ['Pod'],
      operations: ['CREATE'],
    },
  ],
  webhook: {
    rules: [{ apiGroups: [''], apiVersions: ['v1'], resources: ['pods'], operations: ['CREATE'], scope: 'Namespaced' }],
    failurePolicy: 'Fail',
    failurePolicyReason:
      'Fail-closed: a Pod that asked for credentials must not start without them and fail later in confusing ways; system namespaces are excluded, so the cluster cannot lock itself out.',
    namespaced: true,
  },
  evaluate,
};
