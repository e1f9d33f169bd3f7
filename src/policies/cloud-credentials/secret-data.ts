/**
 * Reading a Secret's values for validation. The API server hands webhooks
 * `data` (base64); offline manifests may use `stringData`. Values are returned
 * to the validators and never copied into a message, log line or label.
 */
import type { KubeObject } from '../../kube/types.js';

export interface SecretValues {
  /** Key → decoded value; undefined entries mean "present but not decodable". */
  values: Map<string, string | undefined>;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
/** Credential values are small; anything over 1 MiB is reported as not decodable instead of being decoded. */
const MAX_VALUE_CHARS = 1024 * 1024;

export function secretValues(secret: KubeObject): SecretValues {
  const values = new Map<string, string | undefined>();
  const data = secret.data;
  if (data && typeof data === 'object' && !Array.isArray(data)) {
    for (const [k, v] of Object.entries(data as Record<string, unknown>)) {
      const ok = typeof v === 'string' && v.length <= MAX_VALUE_CHARS && v.length % 4 === 0 && BASE64.test(v);
      values.set(k, ok ? Buffer.from(v, 'base64').toString('utf8') : undefined);
    }
  }
  const stringData = secret.stringData;
  if (stringData && typeof stringData === 'object' && !Array.isArray(stringData)) {
    for (const [k, v] of Object.entries(stringData as Record<string, unknown>)) values.set(k, typeof v === 'string' ? v : undefined);
  }
  return { values };
}

/** `data["key"]`, the field path used in messages (stringData keys land in data on the server). */
export function dataPath(key: string, field?: string): string {
  return `data["${key}"]${field ? `.${field}` : ''}`;
}
