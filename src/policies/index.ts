/**
 * Every built-in policy. Adding one here is all it takes to route it, put it
 * in the webhook configurations, `review` and the security report.
 */
import type { Policy } from '../policy/types.js';
import { resourceDefaultsMutate } from './resource-defaults/mutate.js';
import { resourceDefaultsValidate } from './resource-defaults/validate.js';
import { cloudCredentialsInject } from './cloud-credentials/inject.js';
import { cloudCredentialsValidate } from './cloud-credentials/validate.js';
import { ingressValidate } from './ingress/validate.js';
import { loadBalancerValidate } from './loadbalancer/validate.js';

export function builtinPolicies(): Policy[] {
  return [resourceDefaultsMutate, cloudCredentialsInject, resourceDefaultsValidate, cloudCredentialsValidate, loadBalancerValidate, ingressValidate];
}
