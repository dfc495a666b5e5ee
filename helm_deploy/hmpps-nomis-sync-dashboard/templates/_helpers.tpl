{{/* The chart's name, overridable as in generic-service. */}}
{{- define "app.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Every object's name: the release's, with the chart's name when they differ. */}}
{{- define "app.fullname" -}}
{{- $name := include "app.name" . -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "app.selectorLabels" -}}
app: {{ include "app.name" . }}
app.kubernetes.io/name: {{ include "app.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "app.labels" -}}
{{ include "app.selectorLabels" . }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/version: {{ include "app.imageTag" . | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/* The build to deploy: there is no default. */}}
{{- define "app.imageTag" -}}
{{- required "image.tag is required: the build to deploy (helm upgrade --set image.tag=<build>)" .Values.image.tag -}}
{{- end -}}

{{- define "app.image" -}}
{{ .Values.image.repository }}:{{ include "app.imageTag" . }}
{{- end -}}

{{/*
The non-secret environment as a map of strings: values' env plus what the chart itself knows.
Names that look secret are refused: secrets come from namespace_secrets only.
*/}}
{{- define "app.configEnv" -}}
{{- range $name, $value := .Values.env }}
{{- if regexMatch "(^SECRET_KEY|_SECRET|PASSWORD|CONNECTION_STRING)(_FILE)?$" $name }}
{{- fail (printf "env.%s looks like a secret: give it through namespace_secrets, never as a value" $name) }}
{{- end }}
{{- end }}
{{- $env := merge (dict "PORT" (toString .Values.image.port) "PRODUCT_ID" .Values.productId) .Values.env -}}
{{- range $name := keys $env | sortAlpha }}
{{ $name }}: {{ get $env $name | toString | quote }}
{{- end }}
{{- end -}}

{{/* env entries that reference the namespace's secrets: `secrets` maps secret -> {ENV: key}. */}}
{{- define "app.secretEnv" -}}
{{- range $secret, $keys := . }}
{{- range $name, $key := $keys }}
- name: {{ $name }}
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: {{ $key }}
{{- end }}
{{- end }}
{{- end -}}

{{/* The security context of every container: the image's non-root user, nothing more. */}}
{{- define "app.containerSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .Values.runAsUser }}
runAsGroup: {{ .Values.runAsGroup }}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities:
  drop:
    - ALL
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "app.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .Values.runAsUser }}
runAsGroup: {{ .Values.runAsGroup }}
fsGroup: {{ .Values.runAsGroup }}
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* The allowlist's ranges: each named group's, then each named range; never empty. */}}
{{- define "app.allowlist" -}}
{{- $ranges := list -}}
{{- range $group := .Values.allowlist.groups | default list }}
{{- $members := required (printf "allowlist group %q is not defined in allowlistGroups" $group) (get $.Values.allowlistGroups $group) }}
{{- range $name := keys $members | sortAlpha }}
{{- $ranges = append $ranges (get $members $name) }}
{{- end }}
{{- end }}
{{- range $name := keys (omit .Values.allowlist "groups") | sortAlpha }}
{{- $ranges = append $ranges (get $.Values.allowlist $name) }}
{{- end }}
{{- if not $ranges }}
{{- fail "the allowlist is empty: the dashboard would be open to the internet" }}
{{- end }}
{{- $ranges | uniq | join "," -}}
{{- end -}}
