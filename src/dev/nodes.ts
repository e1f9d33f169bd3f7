/**
 * Simulated nodes for the local control plane: the Node objects, the
 * Stages that make kwok act as their kubelets, what kwok may do (RBAC) and
 * the default StorageClass (kube-controller-manager's hostPath provisioner).
 *
 * kwok v0.8.0 applies no built-in stages: without a Stage in --config it
 * refuses to start ("no stages found"). The stages below are ours; they do
 * what a kubelet reports, nothing else: a node turns Ready and reports again
 * every few minutes (liveness itself goes through its Lease in
 * kube-node-lease, renewed by kwok); a Pod bound to a node starts, its
 * containers run and are ready, with the resources applied; a change of a
 * running Pod's spec (resize, image) is reported applied; a Job's Pod then
 * completes; a Pod being deleted is confirmed gone (a delete with grace
 * period 0, as the kubelet does once its containers stopped).
 *
 * The node and Pod IPs are made up (10.250.0.x, 10.244.<n>.0/24) and nothing
 * runs behind them; no part of the dev environment dials them (no kubelet
 * port is advertised, the catalog registers no APIService or Service-backed
 * webhook).
 */
import { stringify } from 'yaml';

/** The annotation kwok selects the nodes it manages by (--manage-nodes-with-annotation-selector). */
export const KWOK_NODE_ANNOTATION = 'kwok.x-k8s.io/node';
export const KWOK_NODE_SELECTOR = `${KWOK_NODE_ANNOTATION}=fake`;
export const NODE_LEASE_SECONDS = 40;
export const DEFAULT_NODE_COUNT = 3;
export const STORAGE_CLASS = 'standard';

/** Per node; enough for every addon of the catalog at once, with room for the tests' workloads. */
const RESOURCES = { cpu: '32', memory: '128Gi', pods: '110', 'ephemeral-storage': '500Gi' };

export function nodeName(i: number): string {
  return `kwok-node-${i}`;
}

/** The fake Linux nodes, as a kubelet registers them: capacity, addresses and node info in the status, no taints. */
export function fakeNodes(count: number, kubeVersion: string): object[] {
  return Array.from({ length: count }, (_, i) => ({
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: nodeName(i),
      labels: {
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        'kubernetes.io/hostname': nodeName(i),
        type: 'kwok',
      },
      annotations: { [KWOK_NODE_ANNOTATION]: 'fake' },
    },
    // kwok gives the node's Pods IPs from its podCIDR.
    spec: { podCIDR: `10.244.${i}.0/24`, podCIDRs: [`10.244.${i}.0/24`] },
    status: {
      capacity: RESOURCES,
      allocatable: RESOURCES,
      addresses: [
        { type: 'InternalIP', address: `10.250.0.${i + 1}` },
        { type: 'Hostname', address: nodeName(i) },
      ],
      nodeInfo: {
        architecture: 'amd64',
        operatingSystem: 'linux',
        osImage: 'kwok simulated node',
        kernelVersion: 'kwok',
        kubeletVersion: kubeVersion,
        containerRuntimeVersion: 'kwok://v0.8.0',
        machineID: '',
        systemUUID: '',
        bootID: '',
      },
    },
  }));
}

const KWOK_USER = 'harbormaster-dev:kwok';

/**
 * What kwok calls (read from its controllers, v0.8.0): watches nodes and the Pods bound to
 * them, patches their status, deletes Pods whose deletion it confirms, holds one Lease per node
 * in kube-node-lease and records events. No kwok CRDs: stages come from --config.
 */
export const KWOK_RBAC: object[] = [
  {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name: KWOK_USER },
    rules: [
      { apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: [''], resources: ['nodes/status'], verbs: ['patch', 'update'] },
      { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch', 'delete'] },
      { apiGroups: [''], resources: ['pods/status'], verbs: ['patch', 'update'] },
      { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch', 'update'] },
    ],
  },
  {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: KWOK_USER },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: KWOK_USER },
    subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: KWOK_USER }],
  },
  {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: { name: KWOK_USER, namespace: 'kube-node-lease' },
    rules: [{ apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'list', 'watch', 'create', 'update', 'patch'] }],
  },
  {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name: KWOK_USER, namespace: 'kube-node-lease' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: KWOK_USER },
    subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: KWOK_USER }],
  },
];

/**
 * The default StorageClass: kube-controller-manager's in-tree hostPath provisioner
 * (--enable-hostpath-provisioner, for development only) makes a directory
 * /tmp/hostpath_pv/<uuid> per claim (the path is fixed in its source), and removes it when the
 * claim goes. Immediate binding, so a claim binds before any Pod asks for it.
 */
export const STORAGE: object[] = [
  {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name: STORAGE_CLASS, annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } },
    provisioner: 'kubernetes.io/host-path',
    reclaimPolicy: 'Delete',
    volumeBindingMode: 'Immediate',
  },
];

/** Directories the hostPath provisioner makes; only these are removed when the control plane stops. */
export const HOSTPATH_PV_DIR = /^\/tmp\/hostpath_pv\/[0-9a-f-]{36}$/;

export function manifest(objects: object[]): string {
  return objects.map((o) => stringify(o)).join('---\n');
}

// --- kwok stages -------------------------------------------------------------
// Selector keys are kwok's jq-like paths into the object; templates are Go templates rendered
// against the object and sent as a strategic merge patch of its status (lists such as
// conditions and containerStatuses merge by their key: type, name).

const stage = (name: string, kind: 'Node' | 'Pod', spec: object): object => ({
  apiVersion: 'kwok.x-k8s.io/v1alpha1',
  kind: 'Stage',
  metadata: { name: `harbormaster-dev-${name}` },
  spec: { resourceRef: { apiGroup: 'v1', kind }, ...spec },
});
const statusPatch = (template: string) => ({ patch: { subresource: 'status', root: 'status', type: 'strategic', template } });
const notDeleting = { key: '.metadata.deletionTimestamp', operator: 'DoesNotExist' };
const readyIs = (op: 'In' | 'NotIn') => ({ key: '.status.conditions.[] | select( .type == "Ready" ) | .status', operator: op, values: ['True'] });

const nodeConditions = (heartbeatOnly: boolean) =>
  [
    ['Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'],
    ['MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'],
    ['DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'],
    ['PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'],
  ]
    .map(([type, status, reason, message]) =>
      heartbeatOnly
        ? `- type: ${type}\n  lastHeartbeatTime: {{ $now | Quote }}\n`
        : `- type: ${type}\n  status: "${status}"\n  reason: ${reason}\n  message: ${message}\n` +
          `  lastHeartbeatTime: {{ $now | Quote }}\n  lastTransitionTime: {{ $now | Quote }}\n`,
    )
    .join('');

// A kubelet with in-place resize (GA since 1.35) reports the resources it applied; the API
// server accepts a resize of a running Pod only when they are there.
const containerRunning = `  ready: true
  started: true
  restartCount: 0
  state:
    running:
      startedAt: {{ $now | Quote }}
  resources:{{ with .resources }}{{ YAML . 2 }}{{ else }} {}{{ end }}
`;

const podRunning = `{{ $now := Now }}
phase: Running
{{ with .metadata.generation }}
observedGeneration: {{ . }}
{{ end }}
startTime: {{ $now | Quote }}
conditions:
- type: PodReadyToStartContainers
  status: "True"
  lastTransitionTime: {{ $now | Quote }}
- type: Initialized
  status: "True"
  lastTransitionTime: {{ $now | Quote }}
- type: ContainersReady
  status: "True"
  lastTransitionTime: {{ $now | Quote }}
- type: Ready
  status: "True"
  lastTransitionTime: {{ $now | Quote }}
{{ with .spec.initContainers }}
initContainerStatuses:
{{ range . }}
- name: {{ .name | Quote }}
  image: {{ .image | Quote }}
{{ if eq (or .restartPolicy "") "Always" }}
${containerRunning}{{ else }}
  ready: true
  started: false
  restartCount: 0
  state:
    terminated:
      exitCode: 0
      reason: Completed
      startedAt: {{ $now | Quote }}
      finishedAt: {{ $now | Quote }}
{{ end }}
{{ end }}
{{ end }}
containerStatuses:
{{ range .spec.containers }}
- name: {{ .name | Quote }}
  image: {{ .image | Quote }}
${containerRunning}{{ end }}
{{ with NodeIPWith .spec.nodeName }}
hostIP: {{ . | Quote }}
hostIPs:
- ip: {{ . | Quote }}
{{ end }}
{{ with PodIPWith .spec.nodeName (or .spec.hostNetwork false) (or .metadata.uid "") (or .metadata.name "") (or .metadata.namespace "") }}
podIP: {{ . | Quote }}
podIPs:
- ip: {{ . | Quote }}
{{ end }}
`;

const podSucceeded = `{{ $now := Now }}
phase: Succeeded
conditions:
- type: ContainersReady
  status: "False"
  reason: PodCompleted
  lastTransitionTime: {{ $now | Quote }}
- type: Ready
  status: "False"
  reason: PodCompleted
  lastTransitionTime: {{ $now | Quote }}
containerStatuses:
{{ range .spec.containers }}
- name: {{ .name | Quote }}
  image: {{ .image | Quote }}
  ready: false
  started: false
  state:
    running: null
    terminated:
      exitCode: 0
      reason: Completed
      startedAt: {{ $now | Quote }}
      finishedAt: {{ $now | Quote }}
{{ end }}
`;

// A spec change of a running Pod (an in-place resize, a new image): the kubelet applies it and
// reports the new resources and image with the generation it has seen. The status lists are
// atomic (a patch replaces them whole), so every entry is sent again, changed only there.
const syncStatus = (list: string, spec: string, when: string) => `{{ with .status.${list} }}
${list}:
{{ range $st := . }}
{{ $s := deepCopy $st }}
{{ range $spec.${spec} }}{{ if and (eq .name $st.name) ${when} }}
{{ $_ := set $s "image" .image }}{{ $_ := set $s "resources" (or .resources dict) }}
{{ end }}{{ end }}
-{{ YAML $s 1 }}
{{ end }}
{{ end }}
`;
const podSynced = `{{ $spec := .spec }}
observedGeneration: {{ .metadata.generation }}
${syncStatus('initContainerStatuses', 'initContainers', '(eq (or .restartPolicy "") "Always")')}${syncStatus('containerStatuses', 'containers', 'true')}`;

export const KWOK_STAGES: object[] = [
  stage('node-ready', 'Node', {
    selector: { matchExpressions: [readyIs('NotIn')] },
    steps: [statusPatch(`{{ $now := Now }}\nphase: Running\nconditions:\n${nodeConditions(false)}`)],
  }),
  // A kubelet that renews its Lease still reports its status every 5 minutes.
  stage('node-status-report', 'Node', {
    selector: { matchExpressions: [readyIs('In')] },
    delay: { durationMilliseconds: 300_000, jitterDurationMilliseconds: 310_000 },
    steps: [statusPatch(`{{ $now := Now }}\nconditions:\n${nodeConditions(true)}`)],
  }),
  stage('pod-running', 'Pod', {
    selector: { matchExpressions: [notDeleting, { key: '.status.phase', operator: 'In', values: ['Pending'] }] },
    steps: [statusPatch(podRunning)],
  }),
  stage('pod-synced', 'Pod', {
    selector: {
      matchExpressions: [
        notDeleting,
        { key: '.status.phase', operator: 'In', values: ['Running'] },
        { key: '.metadata.generation != .status.observedGeneration', operator: 'In', values: ['true'] },
      ],
    },
    steps: [statusPatch(podSynced)],
  }),
  stage('job-pod-succeeded', 'Pod', {
    selector: {
      matchExpressions: [
        notDeleting,
        { key: '.status.phase', operator: 'In', values: ['Running'] },
        { key: '.metadata.ownerReferences.[].kind', operator: 'In', values: ['Job'] },
      ],
    },
    steps: [statusPatch(podSucceeded)],
  }),
  stage('pod-gone', 'Pod', {
    selector: { matchExpressions: [{ key: '.metadata.deletionTimestamp', operator: 'Exists' }] },
    steps: [{ delete: true }],
  }),
];
