{{- /* Labels on object metadata. Never used in selectors or volumeClaimTemplates: they change with the chart version. */ -}}
{{- define "efk.labels" -}}
app.kubernetes.io/part-of: efk
helm.sh/chart: {{ .Chart.Name }}-{{ .Chart.Version }}
{{- end -}}

{{- /* Index prefixes fluentd writes (logstash_prefix): container logs and the fluent-bit sidecar's logs. The
     lifecycle policy, the index template and fluentd's role cover exactly "<prefix>-*" of these. */ -}}
{{- define "efk.containerLogsPrefix" -}}logs{{- end -}}
{{- define "efk.sidecarLogsPrefix" -}}app{{- end -}}
{{- define "efk.indexPatterns" -}}
{{- list (printf "%s-*" (include "efk.containerLogsPrefix" .)) (printf "%s-*" (include "efk.sidecarLogsPrefix" .)) | toJson -}}
{{- end -}}

{{- define "efk.ilmPolicyName" -}}harbormaster-logs{{- end -}}

{{- define "efk.esURL" -}}http://elasticsearch.{{ .Release.Namespace }}.svc:9200{{- end -}}

{{- /* The Secret the manager generates (addon.yaml generatedSecrets); referenced only by secretKeyRef. */ -}}
{{- define "efk.credentialsSecret" -}}elasticsearch-credentials{{- end -}}
{{- define "efk.kibanaKeysSecret" -}}kibana-encryption-keys{{- end -}}

{{- /* Heap in MiB: half of elasticsearch.resources.limits.memory (Elastic's rule: at most 50% of the
     container's memory, the rest is for the filesystem cache and off-heap buffers), capped at 31744 MiB,
     below the compressed-object-pointer threshold. */ -}}
{{- define "efk.esHeapMi" -}}
{{- $limit := .Values.elasticsearch.resources.limits.memory | toString -}}
{{- $mi := 0 -}}
{{- if hasSuffix "Gi" $limit -}}
{{- $mi = mul (trimSuffix "Gi" $limit | atoi) 1024 -}}
{{- else if hasSuffix "Mi" $limit -}}
{{- $mi = trimSuffix "Mi" $limit | atoi -}}
{{- else -}}
{{- fail (printf "elasticsearch.resources.limits.memory must be in Mi or Gi, got %q" $limit) -}}
{{- end -}}
{{- if lt $mi 1024 -}}
{{- fail (printf "elasticsearch.resources.limits.memory must be at least 1Gi (the heap is half of it), got %q" $limit) -}}
{{- end -}}
{{- min (div $mi 2) 31744 -}}
{{- end -}}

{{- /* Multi-node Elasticsearch with security on needs transport TLS, and this chart does not invent certificates. */ -}}
{{- define "efk.checkTopology" -}}
{{- if and (gt (int .Values.elasticsearch.replicas) 1) (not .Values.elasticsearch.transportTLS.secretName) -}}
{{- fail "elasticsearch.replicas > 1 needs elasticsearch.transportTLS.secretName: a Secret with ca.crt, tls.crt and tls.key for node-to-node TLS (see values.yaml)" -}}
{{- end -}}
{{- end -}}

{{- define "efk.restrictedContainer" -}}
allowPrivilegeEscalation: false
capabilities: { drop: [ALL] }
{{- end -}}

{{- /* The Elasticsearch output both fluentd routes share: the fluentd user (append-only role), daily indices
     "<prefix>-YYYY.MM.DD", no template or ILM management by the plugin (the setup step owns those), no sniffing
     (always through the Service), and a bounded file buffer that drops its oldest chunks when full instead of
     blocking the inputs. */ -}}
{{- define "efk.fluentdElasticsearch" -}}
host elasticsearch.{{ .root.Release.Namespace }}.svc
port 9200
scheme http
user fluentd
password "#{ENV['FLUENTD_ES_PASSWORD']}"
logstash_format true
logstash_prefix {{ .prefix }}
suppress_type_name true
verify_es_version_at_startup false
default_elasticsearch_version 8
reload_connections false
reconnect_on_error true
request_timeout 30s
log_es_400_reason true
<buffer>
  @type file
  path /fluentd/state/buffer/{{ .buffer }}
  flush_mode interval
  flush_interval 5s
  flush_thread_count 2
  retry_type exponential_backoff
  retry_max_interval 60s
  retry_forever true
  chunk_limit_size 8m
  total_limit_size {{ .root.Values.fluentd.bufferLimit }}
  overflow_action drop_oldest_chunk
</buffer>
{{- end -}}
