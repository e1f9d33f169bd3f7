/**
 * Every built-in policy. Adding one here is all it takes to route it, put it
 * in the webhook configurations, `review` and the security report.
 */
import type { Policy } from '../policy/types.js';
import { loadCatalog, type Addon } from '../catalog/catalog.js';
import { ADDONS_DIR } from '../paths.js';
import { addonsValidatePolicy } from './addons/validate.js';
import { addonSidecarsPolicy, platformSidecarNames } from './addon-sidecars/inject.js';
import { resourceDefaultsMutate } from './resource-defaults/mutate.js';
import { resourceDefaultsValidate } from './resource-defaults/validate.js';
import { cloudCredentialsInjectPolicy } from './cloud-credentials/inject.js';
import { cloudCredentialsValidate } from './cloud-credentials/validate.js';
import { dataLoadingMutate } from './data-loading/mutate.js';
import { dataLoadingValidate } from './data-loading/validate.js';
import { ingressValidate } from './ingress/validate.js';
import { loadBalancerValidate } from './loadbalancer/validate.js';
import { tenancyValidate } from './tenancy/validate.js';

let shippedCatalog: Addon[] | undefined;

/** The addon catalog shipped in addons/, read on first use. */
export function defaultCatalog(): Addon[] {
  shippedCatalog ??= loadCatalog(ADDONS_DIR);
  return shippedCatalog;
}

export function builtinPolicies(catalog: readonly Addon[] = defaultCatalog()): Policy[] {
  return [
    resourceDefaultsMutate,
    cloudCredentialsInjectPolicy({ platformSidecars: platformSidecarNames(catalog) }),
    addonSidecarsPolicy(catalog),
    dataLoadingMutate,
    tenancyValidate,
    resourceDefaultsValidate,
    cloudCredentialsValidate,
    loadBalancerValidate,
    ingressValidate,
    addonsValidatePolicy(catalog),
    dataLoadingValidate,
  ];
}

/** Every built-in rule id: the policy file's modes and exemptions may name only these (or `<policy>.*`). */
export function builtinRuleIds(catalog: readonly Addon[] = defaultCatalog()): Set<string> {
  return new Set(builtinPolicies(catalog).flatMap((p) => p.rules.map((r) => r.id)));
}
