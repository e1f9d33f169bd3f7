{{- define "prometheus.labels" -}}
app.kubernetes.io/part-of: prometheus
helm.sh/chart: {{ .Chart.Name }}-{{ .Chart.Version }}
{{- end -}}
