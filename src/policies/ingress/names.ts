/** Names from SPEC 3.5. */
import { INGRESS_CLASS_ANNOTATION } from '../../kube/names.js';

export const HM_PREFIX = 'ingress.harbormaster.io/';
export const NGINX_PREFIX = 'nginx.ingress.kubernetes.io/';
export const LEGACY_CLASS_ANNOTATION = INGRESS_CLASS_ANNOTATION;
export const RISK_NAMESPACE_ANNOTATION = 'harbormaster.io/ingress-risk';
export const HM_KEYS = ['static-vip', 'allow-http', 'ssl-redirect', 'min-replicas', 'max-replicas', 'target-cpu-utilization'] as const;

export const RULES = {
  size: 'ingress.size',
  className: 'ingress.class',
  knownKeys: 'ingress.known-keys',
  controllerValues: 'ingress.controller-annotations',
  nginxAllowList: 'ingress.nginx-allow-list',
  nginxRisk: 'ingress.nginx-risk',
  nginxValues: 'ingress.nginx-values',
  unsafeChars: 'ingress.unsafe-characters',
  host: 'ingress.host',
  hostUnique: 'ingress.host-unique',
  catchAll: 'ingress.catch-all',
  vipOwner: 'ingress.vip-owner',
  shareWith: 'ingress.share-with',
  tlsSecret: 'ingress.tls-secret',
  tlsHosts: 'ingress.tls-hosts',
  pathType: 'ingress.path-type',
  references: 'ingress.references',
  path: 'ingress.path',
} as const;
