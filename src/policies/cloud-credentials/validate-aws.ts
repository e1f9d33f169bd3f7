/**
 * `aws-credential` Secrets: an access key id and secret key, a session token
 * when the key is temporary (ASIA…), optionally a region. Only these keys.
 */
import { AWS_KEYS } from './names.js';
import { dataPath, type SecretValues } from './secret-data.js';

const ALLOWED = Object.values(AWS_KEYS) as string[];
const KEY_ID = /^[A-Z0-9]{16,128}$/;
const REGION = /^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d+$/;

type Values = SecretValues['values'];

/** Keys outside the allow-list, and values that are not base64. */
function keyProblems(v: Values): string[] {
  const problems: string[] = [];
  for (const [k, value] of v) {
    if (!ALLOWED.includes(k)) problems.push(`${dataPath(k)} is not allowed in an aws-credential Secret (allowed: ${ALLOWED.join(', ')})`);
    else if (value === undefined) problems.push(`${dataPath(k)} is not valid base64`);
  }
  return problems;
}

const noSpace = (s: string): boolean => s.length > 0 && !/\s/.test(s);

/** The key pair, the session token temporary keys need, and the region's shape. */
function credentialProblems(v: Values): string[] {
  const problems: string[] = [];
  const id = v.get(AWS_KEYS.accessKeyId);
  if (!v.has(AWS_KEYS.accessKeyId)) problems.push(`${dataPath(AWS_KEYS.accessKeyId)} is required`);
  else if (id !== undefined && !KEY_ID.test(id)) problems.push(`${dataPath(AWS_KEYS.accessKeyId)} must be 16–128 characters of A–Z and 0–9`);
  const secretKey = v.get(AWS_KEYS.secretAccessKey);
  if (!v.has(AWS_KEYS.secretAccessKey)) problems.push(`${dataPath(AWS_KEYS.secretAccessKey)} is required`);
  else if (secretKey !== undefined && !noSpace(secretKey)) problems.push(`${dataPath(AWS_KEYS.secretAccessKey)} must be non-empty without whitespace`);
  const token = v.get(AWS_KEYS.sessionToken);
  if (id?.startsWith('ASIA') && !v.has(AWS_KEYS.sessionToken)) {
    problems.push(`${dataPath(AWS_KEYS.sessionToken)} is required for temporary credentials (access key id starting with ASIA)`);
  } else if (token !== undefined && !noSpace(token)) {
    problems.push(`${dataPath(AWS_KEYS.sessionToken)} must be non-empty without whitespace`);
  }
  const region = v.get(AWS_KEYS.region);
  if (region !== undefined && !REGION.test(region)) problems.push(`${dataPath(AWS_KEYS.region)} is not a region name like us-east-1 or us-gov-west-1`);
  return problems;
}

/** Every problem of an aws-credential Secret; messages name keys, never values. */
export function validateAwsSecret(secret: SecretValues): string[] {
  return [...keyProblems(secret.values), ...credentialProblems(secret.values)];
}
