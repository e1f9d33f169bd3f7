/** Files shipped with the package, found relative to this module (src/ or dist/). */
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';

export const PACKAGE_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '..');
export const DEFAULT_POLICY_FILE = resolve(PACKAGE_ROOT, 'manifests', 'policy.yaml');
export const ADDONS_DIR = resolve(PACKAGE_ROOT, 'addons');
