/**
 * References stay in the namespace (SPEC 3.0): an annotation that names a
 * Secret or a Service, `<namespace>/<name>` forms and in-cluster URLs
 * included, must name one in the Ingress's own namespace. ingress-nginx reads
 * Secrets of any namespace with its own cluster-wide credentials, and proxies
 * to any in-cluster name, so a tenant could otherwise borrow another tenant's
 * CA, client certificate, htpasswd file or backend. Pure: the namespaces that
 * exist come in as a predicate.
 */
import { shown } from '../shared/values.js';
import type { ValueType } from './nginx-annotations.js';

/** The Ingress's namespace, and which namespaces exist (a two-label host `svc.ns` only resolves in-cluster if `ns` does). */
export interface ReferenceContext {
  namespace: string;
  namespaceExists: (name: string) => boolean;
}

const NS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const IPV4 = /^[0-9]+(\.[0-9]+){3}$/;

/** Where an in-cluster host points: a namespace, or the controller's own (a single label). */
export type InClusterTarget = { namespace: string } | { controllerNamespace: true };

/**
 * The namespace an in-cluster DNS name resolves into, or undefined for an
 * external name. Covers `svc.ns`, `svc.ns.svc`, `svc.ns.svc.cluster.local`
 * (and `.pod`), with or without a trailing dot. A single label resolves
 * through the controller Pod's search path into the controller's namespace.
 * A two-label name resolves in-cluster first (ndots:5) when `ns` exists.
 */
export function inClusterTarget(hostname: string, namespaceExists: (name: string) => boolean): InClusterTarget | undefined {
  const host = hostname.toLowerCase().replace(/\.$/, '');
  if (host.startsWith('[') || IPV4.test(host)) return undefined; // addresses: not names (see the report's notes)
  const labels = host.split('.');
  if (labels.length === 1) return { controllerNamespace: true };
  const ns = labels[1] ?? '';
  if (labels.length === 2) return namespaceExists(ns) ? { namespace: ns } : undefined;
  const rest = labels.slice(3).join('.');
  if ((labels[2] === 'svc' || labels[2] === 'pod') && (rest === '' || rest === 'cluster.local')) return { namespace: ns };
  return undefined;
}

function urlProblem(value: string, ctx: ReferenceContext): string | undefined {
  let host: string;
  try {
    const u = new URL(value);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return undefined; // the grammar check reports it
    host = u.hostname;
  } catch {
    return undefined;
  }
  const target = inClusterTarget(host, ctx.namespaceExists);
  if (!target) return undefined;
  if ('controllerNamespace' in target) {
    return `host ${shown(host)} is a single-label name, which the controller resolves in its own namespace, not ${ctx.namespace}; write <service>.${ctx.namespace}.svc, or a fully qualified external host`;
  }
  if (target.namespace === ctx.namespace) return undefined;
  return `host ${shown(host)} is an in-cluster name in namespace ${shown(target.namespace)}; in-cluster URLs must stay in ${ctx.namespace}, the Ingress's own namespace`;
}

function namespacedProblem(what: string, value: string, ctx: ReferenceContext, fix: string): string | undefined {
  const parts = value.split('/');
  if (parts.length !== 2 || !NS_LABEL.test(parts[0] ?? '')) return undefined; // not a <ns>/<name> form: the grammar check decides
  const ns = parts[0]!;
  if (ns === ctx.namespace) return undefined;
  return `names a ${what} in namespace ${shown(ns)}; it must be in ${ctx.namespace}, the Ingress's own namespace (${fix})`;
}

/**
 * What is wrong with where a value points, or undefined when it stays in the
 * namespace (or names nothing in-cluster). Runs before the grammar check, so
 * a cross-namespace reference is reported as such even when malformed too.
 */
export function referenceProblem(type: ValueType, value: string, ctx: ReferenceContext): string | undefined {
  switch (type.kind) {
    case 'secret-ref':
      return namespacedProblem('Secret', value, ctx, `write <name> or ${ctx.namespace}/<name>`);
    case 'service-name':
      return namespacedProblem('Service', value, ctx, 'write just the Service name');
    case 'url':
      return urlProblem(value, ctx);
    default:
      return undefined;
  }
}
