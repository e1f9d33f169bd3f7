{{- define "dashboard.labels" -}}
app.kubernetes.io/part-of: dashboard
helm.sh/chart: {{ .Chart.Name }}-{{ .Chart.Version }}
{{- end -}}
