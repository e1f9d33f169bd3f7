/** Names from SPEC 3.2, in one place. */
export const GCP_TYPE = 'gcp-credential';
export const AWS_TYPE = 'aws-credential';
export const CREDENTIAL_TYPES = [GCP_TYPE, AWS_TYPE] as const;

export const POD_INJECT_ANNOTATION = 'credentials.harbormaster.io/inject';
export const SA_SECRET_ANNOTATION = 'credentials.harbormaster.io/secret';
export const SKIP_CONTAINERS_ANNOTATION = 'credentials.harbormaster.io/skip-containers';
/** The counterpart of skip-containers: platform sidecars that should get the Pod's credentials too. */
export const INCLUDE_SIDECARS_ANNOTATION = 'credentials.harbormaster.io/include-sidecars';

/**
 * Distinct references one annotation may list. A Pod uses at most one
 * credential per provider (two in all); the slack covers `name` and
 * `<own-ns>/name` spellings of the same Secret. More is refused before any
 * look-up, with one message, so a hostile list costs one split.
 */
export const MAX_REFERENCES = 4;

export const GCP_KEY_FILE = 'key.json';
export const GCP_MOUNT_ROOT = '/var/run/secrets/harbormaster.io/gcp';
export const AWS_KEYS = {
  accessKeyId: 'aws_access_key_id',
  secretAccessKey: 'aws_secret_access_key',
  sessionToken: 'aws_session_token',
  region: 'region',
} as const;

export const RULES = {
  gcpKey: 'cloud-credentials.gcp-key',
  awsKey: 'cloud-credentials.aws-key',
  inject: 'cloud-credentials.inject',
  reference: 'cloud-credentials.reference',
  onePerProvider: 'cloud-credentials.one-per-provider',
  skipContainers: 'cloud-credentials.skip-containers',
  includeSidecars: 'cloud-credentials.include-sidecars',
  collision: 'cloud-credentials.collision',
} as const;
