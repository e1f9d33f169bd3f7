{{- define "efk.labels" -}}
app.kubernetes.io/part-of: efk
helm.sh/chart: {{ .Chart.Name }}-{{ .Chart.Version }}
{{- end -}}
