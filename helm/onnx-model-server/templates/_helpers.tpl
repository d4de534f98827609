{{/*
Expand the name of the chart.
*/}}
{{- define "onnx-model-server.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Create a default fully qualified app name.
We truncate at 63 chars because some Kubernetes name fields are limited to this (by the DNS naming spec).
If release name contains chart name it will be used as a full name.
*/}}
{{- define "onnx-model-server.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/*
Create chart name and version as used by the chart label.
*/}}
{{- define "onnx-model-server.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Common labels
*/}}
{{- define "onnx-model-server.labels" -}}
helm.sh/chart: {{ include "onnx-model-server.chart" . }}
{{ include "onnx-model-server.selectorLabels" . }}
{{- if .Chart.AppVersion }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end }}
app.kubernetes.io/component: inference-server
app.kubernetes.io/part-of: {{ include "onnx-model-server.name" . }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/*
Selector labels (immutable on a Deployment: never add to them).
*/}}
{{- define "onnx-model-server.selectorLabels" -}}
app.kubernetes.io/name: {{ include "onnx-model-server.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
User labels (podLabels, service.labels, metrics.serviceMonitor.labels) as YAML, after checking
that none of them repeats a label the chart sets itself: appended as they are, a repeated key
would render a YAML mapping with a duplicate key. Call with
(dict "ctx" $ "labels" <map> "field" "<values path>").
*/}}
{{- define "onnx-model-server.extraLabels" -}}
{{- $own := include "onnx-model-server.labels" .ctx | fromYaml }}
{{- range $key, $_ := .labels }}
{{- if hasKey $own $key }}
{{- fail (printf "%s: %q is a label the chart sets itself and cannot be overridden (nameOverride changes app.kubernetes.io/name)" $.field $key) }}
{{- end }}
{{- end }}
{{- with .labels }}
{{- toYaml . }}
{{- end }}
{{- end }}

{{/*
Create the name of the service account to use
*/}}
{{- define "onnx-model-server.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "onnx-model-server.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
Image reference of the server: repository@digest when a digest is set, else repository:tag
with the tag defaulting to the chart's appVersion.
*/}}
{{- define "onnx-model-server.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag | toString) }}
{{- end }}
{{- end }}

{{/*
Name of the model-config ConfigMap.
*/}}
{{- define "onnx-model-server.modelConfigName" -}}
{{- printf "%s-model-config" (include "onnx-model-server.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Render one `config` value as an environment variable value (always a quoted string).
Helm reads numbers from values files as float64, so `toString` would print 1048576 as
"1.048576e+06"; toJson prints numbers in plain notation. Strings are used as they are.
*/}}
{{- define "onnx-model-server.envValue" -}}
{{- if kindIs "string" . }}
{{- . | quote }}
{{- else }}
{{- toJson . | quote }}
{{- end }}
{{- end }}

{{/*
Render an int-or-string value (e.g. "25%" or 1) the way Kubernetes expects it.
*/}}
{{- define "onnx-model-server.intOrString" -}}
{{- if kindIs "string" . }}
{{- . | quote }}
{{- else }}
{{- . | int64 }}
{{- end }}
{{- end }}

{{/*
"true" when the KEDA ScaledObject is rendered: keda.enabled and the cluster has KEDA's CRD. KEDA then
owns the replicas (through the HPA it makes); without the CRD nothing is rendered and replicaCount applies.
*/}}
{{- define "onnx-model-server.kedaActive" -}}
{{- if and .Values.keda.enabled (.Capabilities.APIVersions.Has "keda.sh/v1alpha1/ScaledObject") }}true{{ end }}
{{- end }}

{{/*
PromQL label matchers of this release's series (metrics.promqlSelector, else the labels a scrape through
the chart's ServiceMonitor gives: namespace and service).
*/}}
{{- define "onnx-model-server.promqlSelector" -}}
{{- .Values.metrics.promqlSelector | default (printf "namespace=%q,service=%q" .Release.Namespace (include "onnx-model-server.fullname" .)) }}
{{- end }}

{{/*
Matchers of the HTTP requests clients make: the release's series without the excluded routes (probes)
and the metrics path, as a PromQL raw string (backquotes: no escaping inside).
*/}}
{{- define "onnx-model-server.clientRequests" -}}
{{- printf "%s,route!~`%s|%s`" (include "onnx-model-server.promqlSelector" .) .Values.metrics.promqlExcludedRoutes (regexQuoteMeta .Values.metrics.path) }}
{{- end }}

{{/*
Requests in flight in the release's pods together, by Little's law: the seconds spent per second in
HTTP requests (probes and scrapes left out) and gRPC calls. Each side is 0 while it has no series yet.
*/}}
{{- define "onnx-model-server.inFlightQuery" -}}
{{- $window := .Values.keda.prometheus.window }}
{{- printf "(sum(rate(http_request_duration_seconds_sum{%s}[%s])) or vector(0)) + (sum(rate(grpc_server_handling_seconds_sum{%s}[%s])) or vector(0))" (include "onnx-model-server.clientRequests" .) $window (include "onnx-model-server.promqlSelector" .) $window }}
{{- end }}

{{/*
The OTEL_* environment variables of tracing (name: value), "" while tracing.endpoint is empty.
OTEL_EXPORTER_OTLP_HEADERS (from a Secret) is rendered by the Deployment itself.
*/}}
{{- define "onnx-model-server.tracingEnv" -}}
{{- with .Values.tracing }}
{{- if .endpoint }}
OTEL_EXPORTER_OTLP_ENDPOINT: {{ .endpoint | quote }}
OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: {{ .protocol | quote }}
OTEL_TRACES_SAMPLER: {{ .sampler | quote }}
{{- if hasSuffix "traceidratio" .sampler }}
OTEL_TRACES_SAMPLER_ARG: {{ toString .samplerRatio | quote }}
{{- end }}
{{- with .serviceName }}
OTEL_SERVICE_NAME: {{ . | quote }}
{{- end }}
{{- with .resourceAttributes }}
{{- $pairs := list }}
{{- range $key, $value := . }}{{ $pairs = append $pairs (printf "%s=%s" $key $value) }}{{ end }}
OTEL_RESOURCE_ATTRIBUTES: {{ join "," $pairs | quote }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}

{{/*
The plain environment variables of models.source "s3" (name: value), "" for other sources: the
repository, its cache, and the SDK's endpoint and region when set. The access key (from a Secret) is
rendered by the Deployment itself.
*/}}
{{- define "onnx-model-server.s3Env" -}}
{{- if eq .Values.models.source "s3" }}
{{- with .Values.models.s3 }}
MODEL_REPOSITORY: {{ .uri | quote }}
MODEL_CACHE_DIR: {{ .cache.mountPath | quote }}
{{- with .endpoint }}
AWS_ENDPOINT_URL_S3: {{ . | quote }}
{{- end }}
{{- with .region }}
AWS_REGION: {{ . | quote }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}

{{/*
Fail early on value combinations the schema cannot express.
*/}}
{{- define "onnx-model-server.validateValues" -}}
{{- $auth := splitList "," (toString .Values.config.PREDICT_AUTH) }}
{{- if and (has "keys" $auth) (not .Values.apiKeys.existingSecret.name) (not .Values.config.API_KEYS_FILE) }}
{{- fail "config.PREDICT_AUTH includes keys: set apiKeys.existingSecret.name to the Secret holding the keys file (or config.API_KEYS_FILE to a file you mount with extraVolumes)" }}
{{- end }}
{{- if has "jwt" $auth }}
{{- if or (not .Values.config.JWT_ISSUER) (not .Values.config.JWT_AUDIENCE) }}
{{- fail "config.PREDICT_AUTH includes jwt: set config.JWT_ISSUER and config.JWT_AUDIENCE" }}
{{- end }}
{{- if eq (empty .Values.config.JWT_JWKS_URL) (empty .Values.config.JWT_JWKS_FILE) }}
{{- fail "config.PREDICT_AUTH includes jwt: set exactly one of config.JWT_JWKS_URL and config.JWT_JWKS_FILE" }}
{{- end }}
{{- end }}
{{- if and (eq .Values.models.source "pvc") (not .Values.models.pvc.claimName) }}
{{- fail "models.source is \"pvc\": set models.pvc.claimName to an existing PersistentVolumeClaim" }}
{{- end }}
{{- if and (eq .Values.models.source "initContainer") (not .Values.models.initContainer.command) (not .Values.models.initContainer.args) }}
{{- fail "models.source is \"initContainer\": set models.initContainer.command (and/or args) to a command that downloads the models into models.mountPath" }}
{{- end }}
{{- if .Values.config.MODEL_REPOSITORY }}
{{- fail (printf "config.MODEL_REPOSITORY is set (%q): set models.source to \"s3\" and models.s3.uri instead, which also give the downloaded versions a cache volume (or models.source \"pvc\" for a directory)" .Values.config.MODEL_REPOSITORY) }}
{{- end }}
{{- if and .Values.preStop.enabled (ge (int .Values.preStop.sleepSeconds) (int .Values.terminationGracePeriodSeconds)) }}
{{- fail "preStop.sleepSeconds must be less than terminationGracePeriodSeconds (the grace period includes the preStop hook)" }}
{{- end }}
{{- /* Shutdown: the drain timer (SHUTDOWN_GRACE_MS) starts at SIGTERM and includes SHUTDOWN_DELAY_MS;
SIGTERM comes after the preStop sleep; Kubernetes sends SIGKILL terminationGracePeriodSeconds after the start. */}}
{{- $delayMs := int64 .Values.config.SHUTDOWN_DELAY_MS }}
{{- $graceMs := int64 .Values.config.SHUTDOWN_GRACE_MS }}
{{- if ge $delayMs $graceMs }}
{{- fail (printf "config.SHUTDOWN_DELAY_MS (%d) must be less than config.SHUTDOWN_GRACE_MS (%d): the grace timer starts at SIGTERM and includes the delay, so the server would exit 1 without draining" $delayMs $graceMs) }}
{{- end }}
{{- $preStopSeconds := 0 }}
{{- if .Values.preStop.enabled }}{{ $preStopSeconds = int64 .Values.preStop.sleepSeconds }}{{ end }}
{{- $graceSeconds := div (add $graceMs 999) 1000 }}
{{- if le (int64 .Values.terminationGracePeriodSeconds) (add $preStopSeconds $graceSeconds) }}
{{- fail (printf "terminationGracePeriodSeconds (%d) must exceed preStop.sleepSeconds (%d) + config.SHUTDOWN_GRACE_MS in seconds (%d), or Kubernetes kills the pod mid-drain: raise it to at least %d" (int64 .Values.terminationGracePeriodSeconds) $preStopSeconds $graceSeconds (add $preStopSeconds $graceSeconds 1)) }}
{{- end }}
{{- if ne (int .Values.config.GRPC_PORT) 0 }}
{{- if eq (int .Values.config.GRPC_PORT) (int .Values.config.PORT) }}
{{- fail (printf "config.GRPC_PORT (%d) must differ from config.PORT: HTTP and gRPC listen on separate ports (0 turns gRPC off)" (int .Values.config.GRPC_PORT)) }}
{{- end }}
{{- if eq (int .Values.service.grpcPort) (int .Values.service.port) }}
{{- fail (printf "service.grpcPort (%d) must differ from service.port: a Service cannot expose one port number twice" (int .Values.service.grpcPort)) }}
{{- end }}
{{- end }}
{{- if .Values.autoscaling.enabled }}
{{- if gt (int .Values.autoscaling.minReplicas) (int .Values.autoscaling.maxReplicas) }}
{{- fail "autoscaling.minReplicas must not exceed autoscaling.maxReplicas" }}
{{- end }}
{{- if and (not .Values.autoscaling.targetCPUUtilizationPercentage) (not .Values.autoscaling.podsMetric.enabled) (not .Values.autoscaling.extraMetrics) }}
{{- fail "autoscaling.enabled: set autoscaling.targetCPUUtilizationPercentage, enable autoscaling.podsMetric or add autoscaling.extraMetrics" }}
{{- end }}
{{- if and .Values.autoscaling.targetCPUUtilizationPercentage (not (dig "requests" "cpu" "" (.Values.resources | default dict))) }}
{{- fail "autoscaling on CPU needs resources.requests.cpu (utilization is a percentage of the request)" }}
{{- end }}
{{- end }}
{{- if .Values.keda.enabled }}
{{- if .Values.autoscaling.enabled }}
{{- fail "keda.enabled and autoscaling.enabled are both set: KEDA makes an HPA of its own for the Deployment, and two HPAs would fight over its replicas; set autoscaling.enabled=false (KEDA's trigger replaces the chart's HPA)" }}
{{- end }}
{{- if not .Values.keda.prometheus.serverAddress }}
{{- fail "keda.enabled: set keda.prometheus.serverAddress to the Prometheus API KEDA queries (e.g. http://prometheus-operated.monitoring.svc:9090)" }}
{{- end }}
{{- if gt (int .Values.keda.minReplicas) (int .Values.keda.maxReplicas) }}
{{- fail "keda.minReplicas must not exceed keda.maxReplicas" }}
{{- end }}
{{- end }}
{{- /* Every config key is rendered as an env var (ADMIN_TOKEN and PREDICTION_LOG from their existingSecret when set);
a second entry of the same name is rejected by the API server on server-side apply. */}}
{{- $extraNames := dict }}
{{- $tracingEnv := include "onnx-model-server.tracingEnv" . | fromYaml }}
{{- $s3Env := include "onnx-model-server.s3Env" . | fromYaml }}
{{- if and (eq .Values.models.source "s3") .Values.models.s3.existingSecret.name }}
{{- $_ := set $s3Env "AWS_ACCESS_KEY_ID" "" }}
{{- $_ := set $s3Env "AWS_SECRET_ACCESS_KEY" "" }}
{{- end }}
{{- range $i, $env := .Values.extraEnv }}
{{- if eq $env.name "ADMIN_TOKEN" }}
{{- fail "extraEnv: ADMIN_TOKEN is set by the chart; to take it from a Secret, set adminToken.existingSecret.name and adminToken.existingSecret.key instead" }}
{{- else if eq $env.name "PREDICTION_LOG" }}
{{- fail "extraEnv: PREDICTION_LOG is set by the chart; to take it from a Secret, set predictionLog.existingSecret.name and predictionLog.existingSecret.key instead" }}
{{- else if and (hasKey $s3Env $env.name) (not (hasKey $.Values.config $env.name)) }}
{{- fail (printf "extraEnv[%d]: %s is set by the chart from models.s3 (models.source is \"s3\"); set it there instead of in extraEnv" $i $env.name) }}
{{- else if hasKey $tracingEnv $env.name }}
{{- fail (printf "extraEnv[%d]: %s is set by the chart from tracing (tracing.endpoint is set); set it there instead of in extraEnv" $i $env.name) }}
{{- else if and (eq $env.name "OTEL_EXPORTER_OTLP_HEADERS") $.Values.tracing.endpoint $.Values.tracing.headers.existingSecret.name }}
{{- fail (printf "extraEnv[%d]: OTEL_EXPORTER_OTLP_HEADERS is set by the chart from tracing.headers.existingSecret" $i) }}
{{- else if hasKey $.Values.config $env.name }}
{{- fail (printf "extraEnv[%d]: %s is set by the chart from config.%s (MODELS_DIR and MODEL_CONFIG_DIR also from models.mountPath / modelConfig.mountPath); set it there instead of in extraEnv" $i $env.name $env.name) }}
{{- end }}
{{- if hasKey $extraNames $env.name }}
{{- fail (printf "extraEnv[%d]: %s is listed twice" $i $env.name) }}
{{- end }}
{{- $_ := set $extraNames $env.name true }}
{{- end }}
{{- if .Values.podDisruptionBudget.enabled }}
{{- $min := toString .Values.podDisruptionBudget.minAvailable }}
{{- $max := toString .Values.podDisruptionBudget.maxUnavailable }}
{{- if and (ne $min "") (ne $max "") }}
{{- fail "podDisruptionBudget: set either minAvailable or maxUnavailable, not both (set the other to \"\")" }}
{{- end }}
{{- if and (eq $min "") (eq $max "") }}
{{- fail "podDisruptionBudget: set minAvailable or maxUnavailable" }}
{{- end }}
{{- end }}
{{- end }}
