/**
 * The mounted credential Secret (SPEC 3.2 keys, one file per key): an
 * aws-credential's aws_access_key_id / aws_secret_access_key /
 * aws_session_token / region, or a gcp-credential's key.json. Values are
 * never printed.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AWS_KEYS, GCP_KEY_FILE } from '../../policies/cloud-credentials/names.js';
import { LoadError } from './stores.js';

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  region?: string;
}

function readKey(dir: string, name: string): string | undefined {
  const p = join(dir, name);
  return existsSync(p) ? readFileSync(p, 'utf8').trim() : undefined;
}

export function readAwsCredentials(dir: string): AwsCredentials {
  const accessKeyId = readKey(dir, AWS_KEYS.accessKeyId);
  const secretAccessKey = readKey(dir, AWS_KEYS.secretAccessKey);
  if (!accessKeyId || !secretAccessKey) {
    throw new LoadError(
      `--credentials-dir ${dir}: an aws-credential Secret needs ${AWS_KEYS.accessKeyId} and ${AWS_KEYS.secretAccessKey} (an s3:// source)`,
      2,
    );
  }
  const sessionToken = readKey(dir, AWS_KEYS.sessionToken);
  const region = readKey(dir, AWS_KEYS.region);
  return { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}), ...(region ? { region } : {}) };
}

export interface GcpServiceAccount {
  client_email: string;
  private_key: string;
  private_key_id?: string;
  project_id?: string;
}

export function readGcpKey(dir: string): GcpServiceAccount {
  const text = readKey(dir, GCP_KEY_FILE);
  if (!text) throw new LoadError(`--credentials-dir ${dir}: a gcp-credential Secret needs ${GCP_KEY_FILE} (a gs:// source)`, 2);
  let key: unknown;
  try {
    key = JSON.parse(text);
  } catch {
    throw new LoadError(`--credentials-dir ${dir}: ${GCP_KEY_FILE} is not JSON`, 2);
  }
  const k = key as Partial<GcpServiceAccount> & { type?: unknown };
  if (k.type !== 'service_account' || typeof k.client_email !== 'string' || typeof k.private_key !== 'string') {
    throw new LoadError(
      `--credentials-dir ${dir}: ${GCP_KEY_FILE} must be a service_account key (external_account credentials are not supported by the loader yet)`,
      2,
    );
  }
  return k as GcpServiceAccount;
}
