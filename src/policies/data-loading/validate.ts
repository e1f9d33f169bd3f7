/**
 * `/validate/data-loading`: the data.harbormaster.io/ annotations of a
 * PersistentVolumeClaim, on CREATE and UPDATE (an UPDATE may not add what a
 * CREATE would be refused). Every problem at once; values are quoted, cut
 * short, never interpreted beyond the grammar of source.ts.
 */
import { strMap } from '../../kube/narrow.js';
import type { DecisionBuilder } from '../../policy/decision.js';
import type { Policy, PolicyInput } from '../../policy/types.js';
import { AWS_TYPE, GCP_TYPE } from '../cloud-credentials/names.js';
import { closest } from '../shared/suggest.js';
import { ANNOTATION_PREFIX, CREDENTIALS_ANNOTATION, ENDPOINT_ANNOTATION, KNOWN_ANNOTATIONS, READ_ONLY_ANNOTATION, RULES, SOURCE_ANNOTATION } from './names.js';
import { dataLoadingSettings } from './settings.js';
import { checkEndpoint, parseSource, type Provider } from './source.js';

const quote = (v: string): string => JSON.stringify(v.length > 80 ? `${v.slice(0, 80)}…` : v);
const field = (key: string): string => `metadata.annotations["${key}"]`;
/** A Secret name: a DNS subdomain. */
const SECRET_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const SECRET_TYPE: Record<Provider, string> = { s3: AWS_TYPE, gs: GCP_TYPE };

function checkKeys(annotations: Record<string, string>, out: DecisionBuilder): void {
  for (const key of Object.keys(annotations)) {
    if (!key.startsWith(ANNOTATION_PREFIX) || (KNOWN_ANNOTATIONS as readonly string[]).includes(key)) continue;
    const hint = closest(key, KNOWN_ANNOTATIONS);
    out.deny(
      RULES.annotations,
      `${field(key.slice(0, 100))}: unknown annotation${hint ? `; did you mean ${hint}?` : `; known: ${KNOWN_ANNOTATIONS.join(', ')}`}`,
    );
  }
  const readOnly = annotations[READ_ONLY_ANNOTATION];
  if (readOnly !== undefined && readOnly !== 'true' && readOnly !== 'false') {
    out.deny(RULES.annotations, `${field(READ_ONLY_ANNOTATION)}: ${quote(readOnly)} must be "true" or "false"`);
  }
  if (annotations[SOURCE_ANNOTATION] === undefined) {
    for (const key of [CREDENTIALS_ANNOTATION, ENDPOINT_ANNOTATION, READ_ONLY_ANNOTATION]) {
      if (annotations[key] !== undefined)
        out.deny(RULES.annotations, `${field(key)} needs ${SOURCE_ANNOTATION} (s3://<bucket>/<prefix> or gs://<bucket>/<prefix>)`);
    }
  }
}

function checkCredentials(input: PolicyInput, provider: Provider, name: string, out: DecisionBuilder): void {
  const namespace = input.request.namespace ?? '';
  const want = SECRET_TYPE[provider];
  if (name.includes('/')) {
    out.deny(
      RULES.credentials,
      `${field(CREDENTIALS_ANNOTATION)}: ${quote(name)} names another namespace; only a ${want} Secret of namespace ${namespace}, by name`,
    );
    return;
  }
  if (name.length > 253 || !SECRET_NAME.test(name)) {
    out.deny(RULES.credentials, `${field(CREDENTIALS_ANNOTATION)}: ${quote(name)} is not a Secret name`);
    return;
  }
  const secret = input.cluster.getSecret(namespace, name);
  if (!secret) {
    out.deny(RULES.credentials, `${field(CREDENTIALS_ANNOTATION)}: no ${want} Secret ${quote(name)} in namespace ${namespace}; create it first`);
  } else if (secret.type !== want) {
    out.deny(
      RULES.credentials,
      `${field(CREDENTIALS_ANNOTATION)}: Secret ${quote(name)} is of type ${quote(secret.type)}; a ${provider}:// source needs a ${want} Secret`,
    );
  }
}

function evaluate(input: PolicyInput, out: DecisionBuilder): void {
  const annotations = strMap(input.request.object?.metadata?.annotations);
  checkKeys(annotations, out);
  const sourceText = annotations[SOURCE_ANNOTATION];
  if (sourceText === undefined) return;
  const source = parseSource(sourceText);
  if ('error' in source) out.deny(RULES.source, `${field(SOURCE_ANNOTATION)}: ${quote(sourceText)}: ${source.error}`);
  const credentials = annotations[CREDENTIALS_ANNOTATION];
  if (credentials !== undefined && !('error' in source)) checkCredentials(input, source.provider, credentials, out);
  const endpoint = annotations[ENDPOINT_ANNOTATION];
  if (endpoint !== undefined) {
    const s = dataLoadingSettings(input.config);
    const problem = checkEndpoint(endpoint, { endpoints: s.endpoints, allowHttp: s.allowHttpEndpoints });
    if (problem) out.deny(RULES.endpoint, `${field(ENDPOINT_ANNOTATION)}: ${quote(endpoint)} ${problem}`);
  }
}

const kinds = ['PersistentVolumeClaim'];
const operations = ['CREATE', 'UPDATE'] as const;

export const dataLoadingValidate: Policy = {
  name: 'data-loading',
  type: 'validate',
  description: 'Validates the data.harbormaster.io/ annotations that make the controller load a PVC from S3 or GCS.',
  rules: [
    {
      id: RULES.annotations,
      description: `Only ${KNOWN_ANNOTATIONS.join(', ')} under data.harbormaster.io/ ("did you mean"); read-only is "true" or "false"; credentials, endpoint and read-only need a source.`,
      action: 'deny',
      kinds,
      operations,
    },
    {
      id: RULES.source,
      description: `${SOURCE_ANNOTATION} is s3://<bucket>[/<prefix>] or gs://<bucket>[/<prefix>]: a valid bucket name, a prefix of A-Z a-z 0-9 ! _ . = / - without empty, "." or ".." segments.`,
      action: 'deny',
      kinds,
      operations,
    },
    {
      id: RULES.credentials,
      description: `${CREDENTIALS_ANNOTATION} names a Secret of the PVC's own namespace of the source's type: aws-credential for s3://, gcp-credential for gs:// (SPEC 3.2).`,
      action: 'deny',
      kinds,
      operations,
    },
    {
      id: RULES.endpoint,
      description: `${ENDPOINT_ANNOTATION} is https://<host>[:<port>] (http only if dataLoading.allowHttpEndpoints) with a host on dataLoading.endpoints of the policy file, no user, path or query.`,
      action: 'deny',
      kinds,
      operations,
    },
  ],
  webhook: {
    rules: [{ apiGroups: [''], apiVersions: ['v1'], resources: ['persistentvolumeclaims'], operations: ['CREATE', 'UPDATE'], scope: 'Namespaced' }],
    failurePolicy: 'Fail',
    failurePolicyReason:
      'Fail-closed: an unchecked source would send the loader to an endpoint nobody allowed, with a Secret of another kind; the matchCondition keeps every PVC without data.harbormaster.io/ annotations away from the webhook.',
    namespaced: true,
    matchConditions: [
      {
        name: 'data-annotations-only',
        expression: `(has(object.metadata.annotations) && object.metadata.annotations.exists(k, k.startsWith('${ANNOTATION_PREFIX}'))) || (oldObject != null && has(oldObject.metadata.annotations) && oldObject.metadata.annotations.exists(k, k.startsWith('${ANNOTATION_PREFIX}')))`,
      },
    ],
  },
  evaluate,
};
