/** YAML rendering of generated manifests, with each failurePolicy's reason as a comment. */
import { Document, isMap, isSeq } from 'yaml';
import type { Policy } from '../policy/types.js';

export function renderWebhookYaml(objects: readonly Record<string, unknown>[], policies: readonly Policy[], header: string): string {
  const reasons = new Map(policies.map((p) => [`${p.name}.${p.type}.harbormaster.io`, p.webhook.failurePolicyReason]));
  const docs = objects.map((obj) => {
    const doc = new Document(obj);
    const hooks = doc.get('webhooks');
    if (isSeq(hooks)) {
      for (const item of hooks.items) {
        if (!isMap(item)) continue;
        const map = item;
        const name = String(map.get('name'));
        const fp = map.items.find((pair) => String((pair.key as { value?: unknown }).value ?? pair.key) === 'failurePolicy');
        const reason = reasons.get(name);
        if (fp && reason && fp.key && typeof fp.key === 'object') (fp.key as { commentBefore?: string }).commentBefore = ` ${reason}`;
      }
    }
    return doc.toString({ lineWidth: 0 });
  });
  return `${header}\n${docs.map((d) => d).join('---\n')}`;
}
