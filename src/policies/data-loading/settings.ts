/** The `dataLoading` section of the policy file with its defaults. */
import type { DataLoadingPolicy, PolicyConfig } from '../../config/types.js';
import { DEFAULT_LOADER_IMAGE } from './names.js';

export function dataLoadingSettings(config: PolicyConfig): DataLoadingPolicy {
  const d = config.dataLoading ?? {};
  return { endpoints: d.endpoints ?? [], allowHttpEndpoints: d.allowHttpEndpoints ?? false, loaderImage: d.loaderImage ?? DEFAULT_LOADER_IMAGE };
}
