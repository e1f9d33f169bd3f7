{{- /* Labels on the chart's objects. Never used in selectors, Pod templates or
volumeClaimTemplates: helm.sh/chart changes with every bundle version. */ -}}
{{- define "prometheus.labels" -}}
app.kubernetes.io/part-of: prometheus
helm.sh/chart: {{ .Chart.Name }}-{{ .Chart.Version }}
{{- end -}}

{{- /* Every Pod of the bundle: Linux nodes only. */ -}}
{{- define "prometheus.nodeSelector" -}}
kubernetes.io/os: linux
{{- end -}}

{{- /* Container securityContext meeting Pod Security "restricted". */ -}}
{{- define "prometheus.containerSecurity" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities: { drop: [ALL] }
{{- end -}}

{{- /*
kube-state-metrics collectors this bundle enables, by API group (core = "").
This is the default set of kube-state-metrics v2.20.0 (pkg/options/resource.go,
DefaultResources) minus "secrets" and "configmaps": listing those needs RBAC
that returns every tenant Secret's data and every ConfigMap's contents
cluster-wide, for metrics that only carry their metadata. The --resources flag
and the ClusterRole are both built from this one table, so they cannot drift.
*/ -}}
{{- define "prometheus.ksmCollectors" -}}
"": [limitranges, namespaces, nodes, persistentvolumeclaims, persistentvolumes, pods, replicationcontrollers, resourcequotas, services]
admissionregistration.k8s.io: [mutatingadmissionpolicies, mutatingadmissionpolicybindings, mutatingwebhookconfigurations, validatingadmissionpolicies, validatingadmissionpolicybindings, validatingwebhookconfigurations]
apps: [daemonsets, deployments, replicasets, statefulsets]
autoscaling: [horizontalpodautoscalers]
batch: [cronjobs, jobs]
certificates.k8s.io: [certificatesigningrequests]
coordination.k8s.io: [leases]
discovery.k8s.io: [endpointslices]
networking.k8s.io: [ingresses, networkpolicies]
policy: [poddisruptionbudgets]
storage.k8s.io: [storageclasses, volumeattachments]
{{- end -}}
