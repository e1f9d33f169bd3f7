/**
 * `/validate/addons`: the annotation grammar of the Cluster object, so a bad
 * addon setting is refused at `kubectl annotate` time instead of failing in
 * the manager later.
 */
import type { Addon } from '../../catalog/catalog.js';
import { ADDON_PREFIX, parseAddonAnnotations } from '../../catalog/annotations.js';
import type { DecisionBuilder } from '../../policy/decision.js';
import type { Policy, PolicyInput } from '../../policy/types.js';

export function addonsValidatePolicy(catalog: readonly Addon[]): Policy {
  const evaluate = ({ request }: PolicyInput, out: DecisionBuilder): void => {
    const { problems } = parseAddonAnnotations(request.object?.metadata?.annotations ?? {}, catalog);
    for (const p of problems) out.deny(p.rule, p.message);
  };
  const kinds = ['harbormaster.io/Cluster'];
  const ops = ['CREATE', 'UPDATE'] as const;
  return {
    name: 'addons',
    type: 'validate',
    description: 'Validates the addon annotations of the Cluster object.',
    rules: [
      { id: 'addons.known-addon', description: `${ADDON_PREFIX}<addon> names an addon of the catalog (${catalog.map((a) => a.name).join(', ')}).`, action: 'deny', kinds, operations: ops },
      { id: 'addons.state', description: 'The state is "enabled" or "disabled"; .purge is a boolean; no other fields.', action: 'deny', kinds, operations: ops },
      { id: 'addons.values', description: '.values parse as YAML/JSON and match the values.schema.json of the version that will render them.', action: 'deny', kinds, operations: ops },
      { id: 'addons.version', description: '.version names a bundle version the catalog keeps (the current one or the one before).', action: 'deny', kinds, operations: ops },
      { id: 'addons.no-credentials', description: 'Values that look like credentials (apiKey, password, token … holding literal strings) are refused: reference a Secret instead.', action: 'deny', kinds, operations: ops },
    ],
    webhook: {
      rules: [{ apiGroups: ['harbormaster.io'], apiVersions: ['*'], resources: ['clusters'], operations: ['CREATE', 'UPDATE'], scope: 'Cluster' }],
      failurePolicy: 'Fail',
      failurePolicyReason:
        'Fail-closed: an unchecked addon setting could put a credential into an annotation or make the manager fail later; the Cluster object is edited rarely, by operators, and its status subresource is not intercepted.',
      namespaced: false,
    },
    evaluate,
  };
}
