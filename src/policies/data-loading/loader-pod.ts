/**
 * The loader Pod: built here for the controller's Job template and
 * recognised here by the gate rule, so the two cannot drift apart.
 *
 * Why recognition is safe: a Pod skips the gate only if the Job controller
 * creates it (a tenant cannot authenticate as kube-system's job-controller
 * or kube-controller-manager)
 * and every container that mounts the PVC is exactly our loader — our image
 * and its entrypoint with the arguments for the PVC's own source, no env, no hooks, our mounts. A
 * tenant who builds such a Job has only started the very load the
 * controller would run; anything else it adds keeps the gate.
 */
import { arr, rec, recOrEmpty, str, type Rec } from '../../kube/narrow.js';
import type { PersistentVolumeClaimInfo } from '../../policy/view.js';
import {
  CONTROLLER_MANAGER_USER,
  CREDENTIALS_ANNOTATION,
  CREDENTIALS_MOUNT_PATH,
  DATA_MOUNT_PATH,
  ENDPOINT_ANNOTATION,
  JOB_CONTROLLER_USER,
  LOADER_CONTAINER,
  LOADER_LABEL,
  SOURCE_ANNOTATION,
} from './names.js';

const DATA_VOLUME = 'data';
const CREDENTIALS_VOLUME = 'credentials';

export interface LoaderSpecInput {
  pvc: string;
  /** The PVC's data.harbormaster.io/ annotations. */
  annotations: Readonly<Record<string, string>>;
  image: string;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
}

/** `harbormaster load …` for this PVC's annotations. */
export function loaderArgs(annotations: Readonly<Record<string, string>>): string[] {
  const endpoint = annotations[ENDPOINT_ANNOTATION];
  const args = ['load', '--source', annotations[SOURCE_ANNOTATION] ?? '', '--target', DATA_MOUNT_PATH];
  if (endpoint) args.push('--endpoint', endpoint);
  if (annotations[CREDENTIALS_ANNOTATION]) args.push('--credentials-dir', CREDENTIALS_MOUNT_PATH);
  return args;
}

function loaderMounts(annotations: Readonly<Record<string, string>>): Rec[] {
  const mounts: Rec[] = [{ name: DATA_VOLUME, mountPath: DATA_MOUNT_PATH }];
  if (annotations[CREDENTIALS_ANNOTATION]) mounts.push({ name: CREDENTIALS_VOLUME, mountPath: CREDENTIALS_MOUNT_PATH, readOnly: true });
  return mounts;
}

/** The pod template of the loader Job: restricted Pod Security, no ServiceAccount token, the PVC and the credential Secret mounted. */
export function loaderPodTemplate(input: LoaderSpecInput): Rec {
  const credentials = input.annotations[CREDENTIALS_ANNOTATION];
  const volumes: Rec[] = [{ name: DATA_VOLUME, persistentVolumeClaim: { claimName: input.pvc } }];
  if (credentials) volumes.push({ name: CREDENTIALS_VOLUME, secret: { secretName: credentials, defaultMode: 0o440 } });
  return {
    metadata: {
      labels: { [LOADER_LABEL]: input.pvc },
      // The loader gets no tenant credential or sidecar: it must stay exactly what the gate recognises.
      annotations: { 'credentials.harbormaster.io/skip-containers': LOADER_CONTAINER, 'sidecars.harbormaster.io/inject': '' },
    },
    spec: {
      restartPolicy: 'Never',
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      securityContext: { runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, fsGroup: 65532, seccompProfile: { type: 'RuntimeDefault' } },
      containers: [
        {
          name: LOADER_CONTAINER,
          image: input.image,
          // No command: the image's entrypoint is harbormaster (Containerfile); the arguments pick `load`.
          args: loaderArgs(input.annotations),
          volumeMounts: loaderMounts(input.annotations),
          // A failed load's last lines become the Pod's termination message, which the controller puts in DataLoaded.
          terminationMessagePolicy: 'FallbackToLogsOnError',
          ...(input.resources ? { resources: input.resources } : {}),
          securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
        },
      ],
      volumes,
    },
  };
}

/** Container fields the loader may carry (ours, and what the API server defaults). Anything else is not our loader. */
const LOADER_FIELDS = new Set([
  'name',
  'image',
  'args',
  'volumeMounts',
  'resources',
  'securityContext',
  'imagePullPolicy',
  'terminationMessagePath',
  'terminationMessagePolicy',
]);

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

function mountsOnly(c: Rec): Rec[] {
  return arr(c.volumeMounts).map((m) => {
    const r = recOrEmpty(m);
    return {
      name: r.name,
      mountPath: r.mountPath,
      ...(r.readOnly === true ? { readOnly: true } : {}),
      ...(r.subPath !== undefined ? { subPath: r.subPath } : {}),
    };
  });
}

function isOurContainer(c: Rec, annotations: Readonly<Record<string, string>>, image: string): boolean {
  return (
    Object.keys(c).every((k) => LOADER_FIELDS.has(k)) &&
    c.name === LOADER_CONTAINER &&
    c.image === image &&
    same(c.args, loaderArgs(annotations)) &&
    same(mountsOnly(c), loaderMounts(annotations))
  );
}

export interface LoaderCheck {
  spec: Rec;
  labels: Readonly<Record<string, unknown>>;
  username: string | undefined;
  pvc: PersistentVolumeClaimInfo;
  image: string;
}

/** Whether this Pod is the loader of `pvc` (see the file comment for why this cannot be faked to any gain). */
export function isLoaderPod({ spec, labels, username, pvc, image }: LoaderCheck): boolean {
  if ((username !== JOB_CONTROLLER_USER && username !== CONTROLLER_MANAGER_USER) || labels[LOADER_LABEL] !== pvc.name) return false;
  const volumes = arr(spec.volumes).map(recOrEmpty);
  const claimVolumes = new Set(volumes.filter((v) => str(rec(v.persistentVolumeClaim)?.claimName) === pvc.name).map((v) => str(v.name)));
  if (claimVolumes.size !== 1 || !claimVolumes.has(DATA_VOLUME)) return false;
  const credentials = pvc.annotations[CREDENTIALS_ANNOTATION];
  if (credentials) {
    const vol = volumes.find((v) => v.name === CREDENTIALS_VOLUME);
    if (str(rec(vol?.secret)?.secretName) !== credentials) return false;
  }
  const all = ['initContainers', 'containers', 'ephemeralContainers'].flatMap((f) => arr(spec[f]).map((c) => ({ f, c: recOrEmpty(c) })));
  const mounting = all.filter(({ c }) => arr(c.volumeMounts).some((m) => recOrEmpty(m).name === DATA_VOLUME));
  return mounting.length === 1 && mounting[0]?.f === 'containers' && isOurContainer(mounting[0].c, pvc.annotations, image);
}
