/**
 * Credential fixtures made at test time: a fresh RSA key from node:crypto and
 * random AWS-shaped keys. Nothing real-looking is ever committed.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import type { KubeObject } from '../../src/kube/types.js';

export function rsaPem(): string {
  return generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  }).privateKey;
}

export function gcpKey(overrides: Record<string, unknown> = {}, pem = rsaPem()): Record<string, unknown> {
  return {
    type: 'service_account',
    project_id: 'test-project',
    private_key_id: randomBytes(20).toString('hex'),
    private_key: pem,
    client_email: 'svc@test-project.iam.gserviceaccount.com',
    client_id: '1234567890',
    auth_uri: 'https://accounts.google.com/o/oauth2/auth',
    token_uri: 'https://oauth2.googleapis.com/token',
    ...overrides,
  };
}

const b64 = (s: string) => Buffer.from(s).toString('base64');

export function gcpSecret(name: string, key: unknown, extraData: Record<string, string> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'gcp-credential',
    metadata: { name },
    data: {
      'key.json': b64(typeof key === 'string' ? key : JSON.stringify(key)),
      ...Object.fromEntries(Object.entries(extraData).map(([k, v]) => [k, b64(v)])),
    },
  };
}

export function awsValues(prefix = 'AKIA'): Record<string, string> {
  return {
    aws_access_key_id: prefix + randomBytes(8).toString('hex').toUpperCase(),
    aws_secret_access_key: randomBytes(30)
      .toString('base64')
      .replace(/[^A-Za-z0-9]/g, 'x'),
  };
}

export function awsSecret(name: string, values: Record<string, string>): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'aws-credential',
    metadata: { name },
    data: Object.fromEntries(Object.entries(values).map(([k, v]) => [k, b64(v)])),
  };
}
