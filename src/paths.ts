/** Files shipped with the package, found relative to this module (src/ or dist/). */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';

export const PACKAGE_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '..');
export const DEFAULT_POLICY_FILE = resolve(PACKAGE_ROOT, 'manifests', 'policy.yaml');
export const ADDONS_DIR = resolve(PACKAGE_ROOT, 'addons');
/** The `version` of the package.json shipped next to src/ or dist/ (what `harbormaster --version` prints). */
export const PACKAGE_VERSION = (JSON.parse(readFileSync(resolve(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
