{{/* Labels every object of this chart carries; Harbormaster adds its own on top. Never used in selectors. */}}
{{- define "dashboard.labels" -}}
app.kubernetes.io/part-of: dashboard
helm.sh/chart: {{ .Chart.Name }}-{{ .Chart.Version }}
{{- end -}}

{{/* Headlamp's HTTP port (its -port flag; 4466 is also its default). */}}
{{- define "dashboard.port" -}}4466{{- end -}}
