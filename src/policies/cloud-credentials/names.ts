/** Names from SPEC 3.2, in one place. */
export const GCP_TYPE = 'gcp-credential';
export const AWS_TYPE = 'aws-credential';
export const CREDENTIAL_TYPES = [GCP_TYPE, AWS_TYPE] as const;

export const POD_INJECT_ANNOTATION = 'credentials.harbormaster.io/inject';
export const SA_SECRET_ANNOTATION = 'credentials.harbormaster.io/secret';
export const SKIP_CONTAINERS_ANNOTATION = 'credentials.harbormaster.io/skip-containers';

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
} as const;
