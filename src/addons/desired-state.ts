/**
 * Pipeline step 1, desired state: what the Cluster's annotations ask of one
 * addon. Pure. Invalid annotations and missing dependencies are answered
 * before anything is rendered, so a typo never touches the cluster.
 */
import { parseAddonAnnotations, type AddonSetting } from '../catalog/annotations.js';
import { addonVersion, type Addon } from '../catalog/catalog.js';

export type Intent =
  | { action: 'fail'; message: string }
  /** `bundle` is the version to install: the pinned one, else the catalog's current one. */
  | { action: 'install'; setting: AddonSetting; bundle: Addon }
  | { action: 'remove'; setting: AddonSetting | undefined }
  | { action: 'nothing' };

export interface DesiredStateInput {
  addon: Addon;
  annotations: Readonly<Record<string, string>>;
  catalog: readonly Addon[];
  /** Objects of this addon exist, or a status entry does: a disabled addon has something to clean up. */
  present: boolean;
}

export function desiredState(input: DesiredStateInput): Intent {
  const { addon } = input;
  const { settings, problems } = parseAddonAnnotations(input.annotations, input.catalog);
  const mine = problems.filter((p) => p.addon === addon.name);
  if (mine.length > 0) return { action: 'fail', message: mine.map((p) => p.message).join('; ') };
  const setting = settings.find((s) => s.name === addon.name);
  if (setting?.enabled) {
    const missing = addon.dependencies.filter((d) => !settings.some((s) => s.name === d && s.enabled));
    if (missing.length > 0) return { action: 'fail', message: `needs addon ${missing.join(', ')} enabled first` };
    return { action: 'install', setting, bundle: addonVersion(addon, setting.version) ?? addon };
  }
  if (setting || input.present) return { action: 'remove', setting };
  return { action: 'nothing' };
}
