{{/* Labels every object of this chart carries; Harbormaster adds its own on top. */}}
{{- define "datadog.labels" -}}
app.kubernetes.io/part-of: datadog
helm.sh/chart: {{ .Chart.Name }}-{{ .Chart.Version }}
{{- end -}}
