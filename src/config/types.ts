/**
 * The policy file, as TypeScript sees it after JSON Schema validation
 * (schema.ts is the source of truth for what is accepted).
 */

/** Resource name → quantity string, e.g. `{ cpu: "500m", memory: "256Mi" }`. */
export type ResourceList = Record<string, string>;

export interface ContainerLimits {
  default?: ResourceList;
  defaultRequest?: ResourceList;
  min?: ResourceList;
  max?: ResourceList;
  maxLimitRequestRatio?: ResourceList;
}

export interface QuotaProfile {
  description?: string;
  quota: { hard: ResourceList };
  limits: {
    container: ContainerLimits;
    pod?: { max?: ResourceList };
    pvc?: { min?: ResourceList; max?: ResourceList };
  };
}

export interface VipPool {
  name: string;
  cidrs: string[];
  /** When set, only these namespaces may take VIPs from this pool. */
  namespaces?: string[];
}

export interface IngressClassPolicy {
  name: string;
  default?: boolean;
}

/**
 * What a rule's findings do (src/policy/modes.ts): `enforce` denies and
 * mutates, `warn` turns a denial into an admission warning, `audit` admits
 * silently and reports, `off` disables the rule.
 */
export type RuleMode = 'enforce' | 'warn' | 'audit' | 'off';

export interface Exemption {
  /** A rule id, or `<policy>.*` for every rule of a policy. */
  rule: string;
  /** Namespaces the exemption covers; absent means any namespace (then `names` narrows it). */
  namespaces?: string[];
  /** Object names the exemption covers; absent means any name in `namespaces`. */
  names?: string[];
  /** Why: shown in the security report next to the exemption. */
  reason: string;
  /** `YYYY-MM-DD` (through the end of that UTC day) or an RFC 3339 timestamp; absent means it never expires. */
  expires?: string;
}

/**
 * The platform's identities (SPEC 3.0 "Who is who"): only they may change
 * platform-only settings such as the `harbormaster.io/*` Namespace
 * annotations. Harbormaster's own ServiceAccount counts without being listed.
 */
export interface PlatformIdentities {
  /** Usernames, exactly as the API server authenticates them. */
  users: string[];
  groups: string[];
  /** `<namespace>/<name>`; matched as the username `system:serviceaccount:<namespace>:<name>`. */
  serviceAccounts: string[];
}

export interface PolicyConfig {
  systemNamespaces: string[];
  platform: PlatformIdentities;
  /** Rule id or `<policy>.*` → mode; rules not listed are enforced. */
  modes: Record<string, RuleMode>;
  exemptions: Exemption[];
  resourceDefaults: {
    profiles: Record<string, QuotaProfile>;
    /** Pod count of the BestEffort-scoped quota in namespaces that allow best-effort Pods. */
    bestEffortPods: number;
    /**
     * Usernames allowed to write the managed LimitRange/ResourceQuota: the
     * server's own ServiceAccount and the controllers that clean up namespaces.
     */
    trustedWriters: string[];
  };
  loadBalancer: {
    vipPools: VipPool[];
    externalIPNamespaces: string[];
  };
  ingress: {
    classes: IngressClassPolicy[];
    /** Namespaces whose Ingresses may claim a class catch-all (an empty host or spec.defaultBackend). */
    catchAllNamespaces: string[];
  };
  addonSidecars: {
    /** Inject as native sidecars (initContainers with restartPolicy Always, Kubernetes 1.29+). */
    native: boolean;
  };
  /** Loading data into PVCs (optional section; defaults in src/policies/data-loading/settings.ts). */
  dataLoading?: Partial<DataLoadingPolicy>;
}

/** `dataLoading` of the policy file (src/policies/data-loading/settings.ts fills the defaults). */
export interface DataLoadingPolicy {
  /** Hosts (`host`, any port) or `host:port` a PVC may name in data.harbormaster.io/endpoint. */
  endpoints: string[];
  /** Allow plain `http://` endpoints (test and lab clusters only). */
  allowHttpEndpoints: boolean;
  /** The image of the loader Jobs: Harbormaster's own. */
  loaderImage: string;
}
