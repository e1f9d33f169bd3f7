/**
 * Pipeline step 2, render: the bundle rendered with the addon's values and
 * checked (every object labelled, none outside the bundle's rules), plus a
 * hash of the result so the status revision moves only when manifests do.
 */
import { createHash } from 'node:crypto';
import type { KubeObject } from '../kube/types.js';
import type { Addon } from '../catalog/catalog.js';
import { desiredObjects } from './plan.js';
import type { HelmRenderer } from './render.js';

export type Rendered = { ok: true; objects: KubeObject[]; manifestHash: string } | { ok: false; message: string };

export async function renderDesired(renderer: HelmRenderer, addon: Addon, values: Record<string, unknown>): Promise<Rendered> {
  let objects: KubeObject[];
  try {
    objects = desiredObjects(addon, await renderer.render(addon, values));
  } catch (err) {
    return { ok: false, message: (err as Error).message };
  }
  const manifestHash = createHash('sha256').update(JSON.stringify(objects)).digest('hex').slice(0, 16);
  return { ok: true, objects, manifestHash };
}
