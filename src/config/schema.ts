/**
 * JSON Schema of the policy file. Every property is listed and anything else
 * is refused (additionalProperties: false), so a typo is an error with a path
 * rather than a setting silently ignored.
 */

const quantity = {
  type: 'string',
  // Kubernetes quantity grammar: sign, digits, optional fraction, optional suffix or exponent.
  pattern: '^[+-]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?[0-9]+)?$',
} as const;

/**
 * Resource names as the API server spells them: an optional DNS-subdomain
 * prefix and a qualified name, so `nvidia.com/gpu`, `hugepages-2Mi`,
 * `ephemeral-storage`, `requests.nvidia.com/gpu` and `count/deployments.apps`
 * are all accepted (the name part may hold capitals, as hugepages sizes do).
 */
const resourceList = {
  type: 'object',
  propertyNames: { pattern: '^([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$' },
  additionalProperties: quantity,
} as const;

const dnsLabel = { type: 'string', pattern: '^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$' } as const;

/** A rule id (`<policy>.<rule>`) or every rule of a policy (`<policy>.*`). */
const ruleRef = { type: 'string', pattern: '^[a-z0-9-]+\\.([a-z0-9-]+|\\*)$' } as const;

/** An object name: a DNS subdomain, which every name an exemption can mean is (or is narrower than). */
const objectName = { type: 'string', pattern: '^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$' } as const;

/** A user or group name: non-empty, no whitespace at either end, no control characters. */
const identity = { type: 'string', minLength: 1, maxLength: 1024, pattern: '^[^\\s\\p{Cc}]([^\\p{Cc}]*[^\\s\\p{Cc}])?$' } as const;

/** `<namespace>/<name>`: a DNS label, a slash, a DNS subdomain (what a ServiceAccount name may be). */
const serviceAccountRef = {
  type: 'string',
  pattern: '^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?/[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$',
} as const;

export const policySchema = {
  $id: 'https://harbormaster.io/schemas/policy.json',
  type: 'object',
  additionalProperties: false,
  required: ['resourceDefaults'],
  properties: {
    systemNamespaces: { type: 'array', items: dnsLabel, uniqueItems: true },
    platform: {
      type: 'object',
      additionalProperties: false,
      properties: {
        users: { type: 'array', items: identity, uniqueItems: true },
        groups: { type: 'array', items: identity, uniqueItems: true },
        serviceAccounts: { type: 'array', items: serviceAccountRef, uniqueItems: true },
      },
    },
    modes: {
      type: 'object',
      propertyNames: ruleRef,
      additionalProperties: { enum: ['enforce', 'warn', 'audit', 'off'] },
    },
    exemptions: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        // It must also name namespaces, names or both (load.ts says so by path).
        required: ['rule', 'reason'],
        properties: {
          rule: ruleRef,
          namespaces: { type: 'array', items: dnsLabel, minItems: 1, uniqueItems: true },
          names: { type: 'array', items: objectName, minItems: 1, uniqueItems: true },
          reason: { type: 'string', minLength: 1, maxLength: 1000, pattern: '\\S' },
          expires: {
            type: 'string',
            pattern: '^\\d{4}-\\d{2}-\\d{2}(T\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?(Z|[+-]\\d{2}:\\d{2}))?$',
          },
        },
      },
    },
    resourceDefaults: {
      type: 'object',
      additionalProperties: false,
      required: ['profiles'],
      properties: {
        bestEffortPods: { type: 'integer', minimum: 0, maximum: 100000 },
        trustedWriters: { type: 'array', items: { type: 'string', minLength: 1 } },
        profiles: {
          type: 'object',
          required: ['default'],
          propertyNames: { pattern: '^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$' },
          additionalProperties: {
            type: 'object',
            additionalProperties: false,
            required: ['quota', 'limits'],
            properties: {
              description: { type: 'string' },
              quota: {
                type: 'object',
                additionalProperties: false,
                required: ['hard'],
                properties: { hard: resourceList },
              },
              limits: {
                type: 'object',
                additionalProperties: false,
                required: ['container'],
                properties: {
                  container: {
                    type: 'object',
                    additionalProperties: false,
                    properties: {
                      default: resourceList,
                      defaultRequest: resourceList,
                      min: resourceList,
                      max: resourceList,
                      maxLimitRequestRatio: resourceList,
                    },
                  },
                  pod: { type: 'object', additionalProperties: false, properties: { max: resourceList } },
                  pvc: {
                    type: 'object',
                    additionalProperties: false,
                    properties: { min: resourceList, max: resourceList },
                  },
                },
              },
            },
          },
        },
      },
    },
    loadBalancer: {
      type: 'object',
      additionalProperties: false,
      properties: {
        vipPools: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['name', 'cidrs'],
            properties: {
              name: dnsLabel,
              cidrs: { type: 'array', minItems: 1, items: { type: 'string', minLength: 3 } },
              namespaces: { type: 'array', items: dnsLabel },
            },
          },
        },
        externalIPNamespaces: { type: 'array', items: dnsLabel },
      },
    },
    addonSidecars: {
      type: 'object',
      additionalProperties: false,
      properties: { native: { type: 'boolean' } },
    },
    dataLoading: {
      type: 'object',
      additionalProperties: false,
      properties: {
        endpoints: {
          type: 'array',
          uniqueItems: true,
          items: { type: 'string', maxLength: 260, pattern: '^(\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?)(:[0-9]{1,5})?$' },
        },
        allowHttpEndpoints: { type: 'boolean' },
        loaderImage: { type: 'string', minLength: 1, maxLength: 512, pattern: '^[A-Za-z0-9][A-Za-z0-9._/:@-]*$' },
      },
    },
    ingress: {
      type: 'object',
      additionalProperties: false,
      properties: {
        classes: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['name'],
            properties: { name: dnsLabel, default: { type: 'boolean' } },
          },
        },
        catchAllNamespaces: { type: 'array', items: dnsLabel, uniqueItems: true },
      },
    },
  },
} as const;
