/**
 * addon.yaml: the Harbormaster half of a bundle (the chart is the other half).
 * Checked against a schema when the catalog loads, so a typo in a bundle is an
 * error at start, not a field silently ignored.
 */
import type { ReadyWorkload, SidecarSpec } from './catalog.js';

export type PodSecurityLevel = 'privileged' | 'baseline' | 'restricted';

/** An image the bundle runs, pinned, with the upstream release it is and when that came out. */
export interface ImagePin {
  component: string;
  image: string;
  version: string;
  released: string;
}

/**
 * What one component calls on the API server, from its documentation. Each
 * entry of `can` / `cannot` is the argument list of `kubectl auth can-i`
 * (`list pods -A`, `get nodes/metrics`, `get /metrics`), checked in e2e as the
 * component's ServiceAccount.
 */
export interface ApiCalls {
  serviceAccount: string;
  docs: string;
  can: string[];
  cannot?: string[];
}

/** A Secret of random values the manager creates once and never rewrites (kept on disable, like PVCs). */
export interface GeneratedSecret {
  name: string;
  keys: string[];
}

export interface AddonMeta {
  description: string;
  namespace: string;
  podSecurity: PodSecurityLevel;
  dependencies: string[];
  sidecars: SidecarSpec[];
  ready: ReadyWorkload[];
  images: ImagePin[];
  apiCalls: ApiCalls[];
  generatedSecrets: GeneratedSecret[];
}

const name = { type: 'string', pattern: '^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$' } as const;
const strings = { type: 'array', items: { type: 'string', minLength: 1 } } as const;

export const addonMetaSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['description', 'namespace', 'podSecurity', 'ready', 'images'],
  properties: {
    description: { type: 'string', minLength: 1 },
    namespace: name,
    podSecurity: { enum: ['privileged', 'baseline', 'restricted'] },
    dependencies: { type: 'array', items: name },
    sidecars: { type: 'array', items: { type: 'object', required: ['name', 'description'], properties: { name, description: { type: 'string' } } } },
    ready: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['kind', 'name'],
        properties: { kind: { enum: ['Deployment', 'StatefulSet', 'DaemonSet'] }, name },
      },
    },
    images: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['component', 'image', 'version', 'released'],
        properties: {
          component: { type: 'string', minLength: 1 },
          image: { type: 'string', pattern: '^[a-z0-9./_-]+(:[A-Za-z0-9._-]+)?(@sha256:[a-f0-9]{64})?$' },
          version: { type: 'string', minLength: 1 },
          released: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$' },
        },
      },
    },
    apiCalls: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['serviceAccount', 'docs', 'can'],
        properties: { serviceAccount: name, docs: { type: 'string', minLength: 1 }, can: strings, cannot: strings },
      },
    },
    generatedSecrets: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'keys'],
        properties: { name, keys: { type: 'array', minItems: 1, items: { type: 'string', pattern: '^[-._a-zA-Z0-9]+$' } } },
      },
    },
  },
} as const;
