/** Names from SPEC 3.4. */
export const LB_PREFIX = 'lb.harbormaster.io/';
export const LB_KEYS = [
  'vip',
  'shared-vip-key',
  'algorithm',
  'dsr',
  'health-check-interval',
  'health-check-timeout',
  'health-check-path',
  'idle-timeout',
] as const;
export const ALGORITHMS = ['round-robin', 'least-connections', 'source-ip-hash'];

export const RULES = {
  knownKeys: 'loadbalancer.known-keys',
  values: 'loadbalancer.annotation-values',
  vip: 'loadbalancer.vip-pool',
  vipOwner: 'loadbalancer.vip-owner',
  sharedVip: 'loadbalancer.shared-vip',
  shareWith: 'loadbalancer.share-with',
  sourceRanges: 'loadbalancer.source-ranges',
  protocols: 'loadbalancer.protocols',
  externalIPs: 'loadbalancer.external-ips',
} as const;
