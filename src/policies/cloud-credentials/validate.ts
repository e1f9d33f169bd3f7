/** `/validate/cloud-credentials`: gcp-credential and aws-credential Secrets, every problem at once. */
import type { DecisionBuilder } from '../../policy/decision.js';
import type { Policy, PolicyInput } from '../../policy/types.js';
import { AWS_TYPE, GCP_TYPE, RULES } from './names.js';
import { secretValues } from './secret-data.js';
import { validateAwsSecret } from './validate-aws.js';
import { validateGcpSecret } from './validate-gcp.js';

function evaluate({ request }: PolicyInput, out: DecisionBuilder): void {
  const secret = request.object;
  if (!secret) return;
  if (secret.type === GCP_TYPE) {
    for (const p of validateGcpSecret(secretValues(secret))) out.deny(RULES.gcpKey, p);
  } else if (secret.type === AWS_TYPE) {
    for (const p of validateAwsSecret(secretValues(secret))) out.deny(RULES.awsKey, p);
  }
}

export const cloudCredentialsValidate: Policy = {
  name: 'cloud-credentials',
  type: 'validate',
  description: 'Validates gcp-credential and aws-credential Secrets before they are stored.',
  rules: [
    {
      id: RULES.gcpKey,
      description:
        'A gcp-credential Secret holds key.json: a service_account key whose private_key parses as PEM and token_uri is https, or an external_account with a file/url (never executable) credential source.',
      action: 'deny',
      kinds: ['Secret'],
      operations: ['CREATE', 'UPDATE'],
    },
    {
      id: RULES.awsKey,
      description:
        'An aws-credential Secret holds aws_access_key_id ([A-Z0-9]{16,128}), aws_secret_access_key (no whitespace), aws_session_token for ASIA keys, and an optional region.',
      action: 'deny',
      kinds: ['Secret'],
      operations: ['CREATE', 'UPDATE'],
    },
  ],
  webhook: {
    rules: [{ apiGroups: [''], apiVersions: ['v1'], resources: ['secrets'], operations: ['CREATE', 'UPDATE'], scope: 'Namespaced' }],
    failurePolicy: 'Fail',
    failurePolicyReason:
      'Fail-closed: a malformed credential stored during an outage would break every Pod that mounts it later; the matchCondition keeps every other Secret type away from the webhook, so an outage blocks only credential Secrets.',
    namespaced: true,
    matchConditions: [{ name: 'credential-secrets-only', expression: "has(object.type) && object.type in ['gcp-credential', 'aws-credential']" }],
  },
  evaluate,
};
