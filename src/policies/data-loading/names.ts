/** Names of the data-loading contract (README "Loading data"), in one place. */
export { DATA_ANNOTATION_PREFIX as ANNOTATION_PREFIX } from '../../policy/slim.js';
export const SOURCE_ANNOTATION = 'data.harbormaster.io/source';
export const CREDENTIALS_ANNOTATION = 'data.harbormaster.io/credentials';
export const ENDPOINT_ANNOTATION = 'data.harbormaster.io/endpoint';
export const READ_ONLY_ANNOTATION = 'data.harbormaster.io/read-only';
export const KNOWN_ANNOTATIONS = [SOURCE_ANNOTATION, CREDENTIALS_ANNOTATION, ENDPOINT_ANNOTATION, READ_ONLY_ANNOTATION] as const;

/** The scheduling gate on Pods whose data is not there yet. */
export const LOADING_GATE = 'data.harbormaster.io/loading';
/** Set with the gate, so the controller watches only the Pods that wait (a label selector), not every Pod. */
export const WAITING_LABEL = 'data.harbormaster.io/waiting';
/** The PVC condition the controller keeps. */
export { DATA_LOADED_CONDITION } from '../../policy/slim.js';
/** On the loader Job and its Pod: the name of the PVC it loads. */
export const LOADER_LABEL = 'data.harbormaster.io/loader';
export const LOADER_CONTAINER = 'loader';
/** Where the loader Pod mounts the PVC and the credential Secret. */
export const DATA_MOUNT_PATH = '/data';
export const CREDENTIALS_MOUNT_PATH = '/var/run/secrets/harbormaster.io/data-credentials';
/** Pods of Jobs are created by this identity (kube-controller-manager with --use-service-account-credentials); a tenant cannot authenticate as it. */
export const JOB_CONTROLLER_USER = 'system:serviceaccount:kube-system:job-controller';
/** kube-controller-manager's own identity, which its controllers use without --use-service-account-credentials. */
export const CONTROLLER_MANAGER_USER = 'system:kube-controller-manager';
/** The image of the loader Jobs when the policy file names none (manifests/deployment.yaml). */
export const DEFAULT_LOADER_IMAGE = 'harbormaster/harbormaster:0.1.0';

export const RULES = {
  annotations: 'data-loading.annotations',
  source: 'data-loading.source',
  credentials: 'data-loading.credentials',
  endpoint: 'data-loading.endpoint',
  gate: 'data-loading.gate',
  readOnly: 'data-loading.read-only',
} as const;
