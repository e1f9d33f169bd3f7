/**
 * The ownership index (SPEC 3.0): for every VIP, host and class catch-all,
 * the objects that hold it, oldest first. The store keeps it up to date as
 * objects arrive and leave, so a policy asks "who holds shop.example.com" with
 * one map look-up instead of scanning every cached Ingress for every path of
 * every request. What a policy may ask of it is `OwnershipView` in
 * policy/view.ts; this is the implementation the cluster store keeps.
 */
import { ageKey, ingressClaims, parentDomain, parseShareWith, serviceVips, SHARE_WITH_ANNOTATION, wildcardParent } from '../policy/claims.js';
import type { Holder, HostHolder, IngressInfo, OwnershipView, ServiceInfo, ServicePortInfo, VipHolder } from '../policy/view.js';

const EMPTY: readonly never[] = Object.freeze([]);
const NO_HOSTS: ReadonlyMap<string, ReadonlyMap<string, number>> = new Map();
const INGRESS_PORTS: readonly ServicePortInfo[] = Object.freeze([
  { port: 80, protocol: 'TCP' },
  { port: 443, protocol: 'TCP' },
]);

/** Holders of one key, sorted lazily and only after a change. */
class Bucket<H extends Holder> {
  readonly #items = new Map<string, H>();
  #sorted: readonly H[] | undefined;
  set(id: string, h: H): void {
    this.#items.set(id, h);
    this.#sorted = undefined;
  }
  delete(id: string): void {
    this.#items.delete(id);
    this.#sorted = undefined;
  }
  get size(): number {
    return this.#items.size;
  }
  sorted(): readonly H[] {
    return (this.#sorted ??= Object.freeze([...this.#items.values()].sort((a, b) => (ageKey(a) < ageKey(b) ? -1 : 1))));
  }
}

class BucketMap<H extends Holder> {
  readonly map = new Map<string, Bucket<H>>();
  add(key: string, id: string, h: H): void {
    let b = this.map.get(key);
    if (!b) this.map.set(key, (b = new Bucket<H>()));
    b.set(id, h);
  }
  remove(key: string, id: string): void {
    const b = this.map.get(key);
    if (!b) return;
    b.delete(id);
    if (b.size === 0) this.map.delete(key);
  }
  get(key: string): readonly H[] {
    return this.map.get(key)?.sorted() ?? EMPTY;
  }
}

/** What one object put into the index, so it can be taken out again exactly. */
interface Contribution {
  vips: string[];
  hosts: string[];
  catchAll?: string;
}

export class OwnershipIndex implements OwnershipView {
  readonly #vips = new BucketMap<VipHolder>();
  readonly #hosts = new BucketMap<HostHolder>();
  readonly #catchAll = new BucketMap<Holder>();
  /** parent domain → namespace → concrete hosts one label below it (with a count of holders each). */
  readonly #under = new Map<string, Map<string, Map<string, number>>>();
  readonly #contributions = new Map<string, Contribution>();

  setService(s: ServiceInfo): void {
    const id = `Service/${s.namespace}/${s.name}`;
    this.#drop(id);
    const vips = serviceVips(s);
    if (vips.length === 0) return;
    const key = s.annotations['lb.harbormaster.io/shared-vip-key'];
    const holder: VipHolder = {
      ...base('Service', s),
      ports: s.ports,
      ...(key !== undefined ? { sharedVipKey: key } : {}),
    };
    for (const v of vips) this.#vips.add(v, id, holder);
    this.#contributions.set(id, { vips, hosts: [] });
  }

  setIngress(i: IngressInfo): void {
    const id = `Ingress/${i.namespace}/${i.name}`;
    this.#drop(id);
    const claims = ingressClaims(i);
    const b = base('Ingress', i);
    const c: Contribution = { vips: [], hosts: [] };
    if (claims.vip) {
      this.#vips.add(claims.vip, id, { ...b, ports: INGRESS_PORTS });
      c.vips.push(claims.vip);
    }
    for (const [host, paths] of claims.hosts) {
      this.#hosts.add(host, id, { ...b, paths, regex: claims.regex });
      this.#underAdd(host, i.namespace, 1);
      c.hosts.push(host);
    }
    if (claims.catchAll) {
      this.#catchAll.add(claims.declaredClass, id, b);
      c.catchAll = claims.declaredClass;
    }
    this.#contributions.set(id, c);
  }

  removeService(namespace: string, name: string): void {
    this.#drop(`Service/${namespace}/${name}`);
  }
  removeIngress(namespace: string, name: string): void {
    this.#drop(`Ingress/${namespace}/${name}`);
  }

  vipHolders(vip: string): readonly VipHolder[] {
    return this.#vips.get(vip);
  }
  hostHolders(host: string): readonly HostHolder[] {
    return this.#hosts.get(host);
  }
  catchAllHolders(declaredClass: string): readonly Holder[] {
    return this.#catchAll.get(declaredClass);
  }
  hostsUnder(parent: string): ReadonlyMap<string, ReadonlyMap<string, number>> {
    return this.#under.get(parent) ?? NO_HOSTS;
  }
  hosts(): Iterable<string> {
    return this.#hosts.map.keys();
  }
  catchAllClasses(): Iterable<string> {
    return this.#catchAll.map.keys();
  }

  #drop(id: string): void {
    const c = this.#contributions.get(id);
    if (!c) return;
    this.#contributions.delete(id);
    const ns = id.split('/')[1] ?? '';
    for (const v of c.vips) this.#vips.remove(v, id);
    for (const h of c.hosts) {
      this.#hosts.remove(h, id);
      this.#underAdd(h, ns, -1);
    }
    if (c.catchAll !== undefined) this.#catchAll.remove(c.catchAll, id);
  }

  /** Keeps the parent-domain index of concrete hosts: what a new wildcard would cover. */
  #underAdd(host: string, namespace: string, delta: 1 | -1): void {
    if (wildcardParent(host) !== undefined) return;
    const parent = parentDomain(host);
    if (parent === undefined) return;
    let byNs = this.#under.get(parent);
    if (!byNs) this.#under.set(parent, (byNs = new Map<string, Map<string, number>>()));
    let hosts = byNs.get(namespace);
    if (!hosts) byNs.set(namespace, (hosts = new Map<string, number>()));
    const n = (hosts.get(host) ?? 0) + delta;
    if (n > 0) hosts.set(host, n);
    else hosts.delete(host);
    if (hosts.size === 0) byNs.delete(namespace);
    if (byNs.size === 0) this.#under.delete(parent);
  }
}

function base(kind: Holder['kind'], o: ServiceInfo | IngressInfo): Holder {
  return {
    kind,
    namespace: o.namespace,
    name: o.name,
    ...(o.created ? { created: o.created } : {}),
    shareWith: parseShareWith(o.annotations[SHARE_WITH_ANNOTATION]),
  };
}
