/**
 * `/mutate/data-loading`: a Pod that mounts a PVC whose data is not loaded
 * yet (DataLoaded not True, from the cached PVC) waits behind the scheduling
 * gate data.harbormaster.io/loading, labelled so the controller finds it and
 * lifts the gate when the data is there; the PVC's own loader Pod excepted
 * (loader-pod.ts). A PVC with read-only "true" is mounted read-only by every
 * other Pod. CREATE only: gates and mounts cannot be added later.
 */
import { arr, rec, recOrEmpty, str, type Rec } from '../../kube/narrow.js';
import type { DecisionBuilder } from '../../policy/decision.js';
import type { Policy, PolicyInput } from '../../policy/types.js';
import type { PersistentVolumeClaimInfo } from '../../policy/view.js';
import { isLoaderPod } from './loader-pod.js';
import { LOADING_GATE, READ_ONLY_ANNOTATION, RULES, SOURCE_ANNOTATION, WAITING_LABEL } from './names.js';
import { dataLoadingSettings } from './settings.js';

interface ClaimVolume {
  index: number;
  name: string;
  pvc: PersistentVolumeClaimInfo;
}

function claimVolumes(input: PolicyInput, spec: Rec): ClaimVolume[] {
  const namespace = input.request.namespace ?? '';
  return arr(spec.volumes).flatMap((v, index) => {
    const claim = str(rec(recOrEmpty(v).persistentVolumeClaim)?.claimName);
    const pvc = claim ? input.cluster.getPersistentVolumeClaim(namespace, claim) : undefined;
    const name = str(recOrEmpty(v).name);
    return pvc && name && pvc.annotations[SOURCE_ANNOTATION] !== undefined ? [{ index, name, pvc }] : [];
  });
}

function gate(spec: Rec, waiting: readonly ClaimVolume[], out: DecisionBuilder): void {
  if (spec.nodeName !== undefined && spec.nodeName !== '') {
    out.deny(
      RULES.gate,
      `spec.nodeName skips scheduling, so the Pod cannot wait for the data of PVC ${waiting.map((w) => w.pvc.name).join(', ')}; remove nodeName, or create the Pod once DataLoaded is True`,
    );
    return;
  }
  if (arr(spec.schedulingGates).some((g) => recOrEmpty(g).name === LOADING_GATE)) return;
  out.append(RULES.gate, ['spec', 'schedulingGates'], { name: LOADING_GATE });
  out.set(RULES.gate, ['metadata', 'labels', WAITING_LABEL], 'true');
}

function makeReadOnly(spec: Rec, volume: ClaimVolume, out: DecisionBuilder): void {
  const source = recOrEmpty(recOrEmpty(arr(spec.volumes)[volume.index]).persistentVolumeClaim);
  if (source.readOnly !== true) {
    out.set(RULES.readOnly, ['spec', 'volumes', volume.index, 'persistentVolumeClaim', 'readOnly'], true);
  }
  for (const field of ['initContainers', 'containers']) {
    arr(spec[field]).forEach((c, ci) => {
      arr(recOrEmpty(c).volumeMounts).forEach((m, mi) => {
        const mount = recOrEmpty(m);
        if (mount.name === volume.name && mount.readOnly !== true) out.set(RULES.readOnly, ['spec', field, ci, 'volumeMounts', mi, 'readOnly'], true);
      });
    });
  }
}

function evaluate(input: PolicyInput, out: DecisionBuilder): void {
  const pod = input.request.object;
  const spec = rec(pod?.spec);
  if (!pod || !spec) return;
  const volumes = claimVolumes(input, spec);
  if (volumes.length === 0) return;
  const image = dataLoadingSettings(input.config).loaderImage;
  const labels = recOrEmpty(pod.metadata?.labels);
  const username = input.request.userInfo.username;
  const others = volumes.filter((v) => !isLoaderPod({ spec, labels, username, pvc: v.pvc, image }));
  const waiting = others.filter((v) => v.pvc.dataLoaded !== 'True');
  if (waiting.length > 0) gate(spec, waiting, out);
  for (const v of others) if (v.pvc.annotations[READ_ONLY_ANNOTATION] === 'true') makeReadOnly(spec, v, out);
}

const kinds = ['Pod'];
const operations = ['CREATE'] as const;

export const dataLoadingMutate: Policy = {
  name: 'data-loading',
  type: 'mutate',
  description: 'Holds Pods whose PVC data is still loading behind a scheduling gate, and mounts read-only data PVCs read-only.',
  rules: [
    {
      id: RULES.gate,
      description: `A Pod mounting a PVC with ${SOURCE_ANNOTATION} whose DataLoaded condition is not True gets the scheduling gate ${LOADING_GATE} (and label ${WAITING_LABEL}); the controller removes both when every such PVC is loaded. The PVC's own loader Pod (created by the Job controller, exactly the loader container) is excepted; a Pod with spec.nodeName cannot wait and is denied.`,
      action: 'mutate',
      kinds,
      operations,
    },
    {
      id: RULES.readOnly,
      description: `Every mount of a PVC with ${READ_ONLY_ANNOTATION}: "true" (and its volume) is made readOnly, except in its loader Pod.`,
      action: 'mutate',
      kinds,
      operations,
    },
  ],
  webhook: {
    rules: [{ apiGroups: [''], apiVersions: ['v1'], resources: ['pods'], operations: ['CREATE'], scope: 'Namespaced' }],
    failurePolicy: 'Fail',
    failurePolicyReason:
      'Fail-closed: a Pod admitted without the gate would start on a half-loaded volume, the failure this policy exists to prevent; the matchCondition keeps every Pod without a PVC volume away from the webhook.',
    namespaced: true,
    matchConditions: [{ name: 'pvc-volumes-only', expression: 'has(object.spec.volumes) && object.spec.volumes.exists(v, has(v.persistentVolumeClaim))' }],
  },
  evaluate,
};
