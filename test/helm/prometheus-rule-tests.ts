/**
 * `promtool test rules` cases for the chart's alerts with their default values, rendered for release
 * test-release in namespace ml: input series shaped like a scrape of the service through the chart's
 * ServiceMonitor (its target labels namespace, service and pod, then the service's own labels), and
 * the alerts expected after 50 minutes, their annotations included.
 */

/** Every alert the chart's PrometheusRule defines, in its order. */
export const ALL_ALERTS = [
  'OnnxModelServerErrorRatio',
  'OnnxModelServerLatencyP99',
  'OnnxModelServerModelVersionNotReady',
  'OnnxModelServerPodNotReady',
  'OnnxModelServerPredictionLogDropping',
  'OnnxModelServerFeatureDrift',
  'OnnxModelServerPredictionDrift',
];

const SERVICE = 'test-release-onnx-model-server';
const TARGET = `namespace="ml",service="${SERVICE}",pod="${SERVICE}-5d8f7c9b4-x7k2p"`;
const POD = `${SERVICE}-5d8f7c9b4-x7k2p`;
const PREDICT = `${TARGET},method="POST",route="/v1/models/:name/predict"`;
const READY = `${TARGET},method="GET",route="/health/ready"`;
const AT = '50m';

type Series = { series: string; values: string };
type AlertTest = { eval_time: string; alertname: string; exp_alerts: { exp_labels: Record<string, string>; exp_annotations: Record<string, string> }[] };
export type RuleTest = { name: string; interval: string; input_series: Series[]; alert_rule_test: AlertTest[] };

const series = (name: string, labels: string, values: string): Series => ({ series: `${name}{${labels}}`, values });
/** A histogram's cumulative buckets: each [le, per-minute increase]. */
const buckets = (labels: string, perMinute: [string, number][]): Series[] =>
  perMinute.map(([le, n]) => series('http_request_duration_seconds_bucket', `${labels},le="${le}"`, `0+${n}x60`));
const none = (alertname: string): AlertTest => ({ eval_time: AT, alertname, exp_alerts: [] });
const fires = (alertname: string, exp_labels: Record<string, string>, exp_annotations: Record<string, string>): AlertTest => ({
  eval_time: AT,
  alertname,
  exp_alerts: [{ exp_labels, exp_annotations }],
});
const service = { namespace: 'ml', service: SERVICE };

/** What no alert may count: probes answering 503 (a pod loading), slow, and the metrics scrapes. */
const PLATFORM_TRAFFIC: Series[] = [
  series('http_request_duration_seconds_count', `${READY},status_code="503"`, '0+1000x60'),
  series('http_request_duration_seconds_count', `${TARGET},method="GET",route="/metrics",status_code="200"`, '0+5x60'),
  ...buckets(`${READY},status_code="503"`, [['0.5', 0], ['1', 0], ['+Inf', 1000]]),
];

export const ALERT_TESTS: RuleTest[] = [
  {
    name: 'every alert fires on its condition',
    interval: '1m',
    input_series: [
      ...PLATFORM_TRAFFIC,
      // 10% of the predictions answered 500, all of them between 0.5 and 1 s.
      series('http_request_duration_seconds_count', `${PREDICT},status_code="200"`, '0+90x60'),
      series('http_request_duration_seconds_count', `${PREDICT},status_code="500"`, '0+10x60'),
      ...buckets(`${PREDICT},status_code="200"`, [['0.5', 0], ['1', 90], ['+Inf', 90]]),
      series('model_version_ready', `${TARGET},model="iris",version="1"`, '1x60'),
      series('model_version_ready', `${TARGET},model="iris",version="2"`, '0x60'),
      // kube-state-metrics: this release's pod not ready; the helm test pod and another Deployment's pod do not count.
      series('kube_pod_status_ready', `namespace="ml",pod="${POD}",condition="false"`, '1x60'),
      series('kube_pod_status_ready', `namespace="ml",pod="${POD}",condition="true"`, '0x60'),
      series('kube_pod_status_ready', `namespace="ml",pod="${SERVICE}-test",condition="false"`, '1x60'),
      series('kube_pod_status_ready', `namespace="ml",pod="${SERVICE}-canary-5d8f7c9b4-abcde",condition="false"`, '1x60'),
      series('prediction_log_dropped_total', `${TARGET},reason="queue_full"`, '0+60x60'),
      series('prediction_log_dropped_total', `${TARGET},reason="sink_error"`, '0x60'),
      // iris drifts on petal_length and in its predictions; digits' PSI is high but from 10 instances only.
      series('model_feature_drift_psi', `${TARGET},model="iris",version="1",feature="petal_length"`, '0.4x60'),
      series('model_feature_drift_psi', `${TARGET},model="iris",version="1",feature="sepal_length"`, '0.1x60'),
      series('model_prediction_drift_psi', `${TARGET},model="iris",version="1"`, '0.5x60'),
      series('model_drift_window_instances', `${TARGET},model="iris",version="1"`, '1500x60'),
      series('model_feature_drift_psi', `${TARGET},model="digits",version="1",feature="ink"`, '0.9x60'),
      series('model_prediction_drift_psi', `${TARGET},model="digits",version="1"`, '0.9x60'),
      series('model_drift_window_instances', `${TARGET},model="digits",version="1"`, '10x60'),
    ],
    alert_rule_test: [
      fires('OnnxModelServerErrorRatio', { severity: 'critical', ...service }, {
        summary: 'HTTP requests of onnx-model-server answered 5xx',
        description: `10% of the HTTP requests to ${SERVICE} in ml were answered 5xx (500 faults, 503 overload or models loading) over the last 5m.`,
      }),
      // 0.5 + 0.5 x 0.99: linear within the (0.5, 1] bucket; the slow probes would have made it 1 s.
      fires('OnnxModelServerLatencyP99', { severity: 'warning', ...service }, {
        summary: 'onnx-model-server p99 latency above 0.5 s',
        description: `The 99th percentile of HTTP request duration of ${SERVICE} in ml is 995ms over the last 5m.`,
      }),
      fires('OnnxModelServerModelVersionNotReady', { severity: 'critical', ...service, pod: POD, model: 'iris', version: '2' }, {
        summary: 'A model version is not READY',
        description: `Version 2 of model iris is not READY in pod ${POD} (ml): FAILED (its reason is in GET /v1/models/iris), still LOADING, or unloaded by the admin API.`,
      }),
      fires('OnnxModelServerPodNotReady', { severity: 'warning', namespace: 'ml', pod: POD }, {
        summary: 'An onnx-model-server pod is not ready',
        description: `Pod ${POD} in ml is not ready (kube-state-metrics): /health/ready answers 503 until every required model is loaded and warmed.`,
      }),
      fires('OnnxModelServerPredictionLogDropping', { severity: 'warning', ...service, reason: 'queue_full' }, {
        summary: 'The prediction log is dropping predictions',
        description: `${SERVICE} in ml drops 1 predictions/s from its prediction log (reason queue_full: queue_full or sink_error mean the sink is slow or down).`,
      }),
      fires('OnnxModelServerFeatureDrift', { severity: 'warning', ...service, model: 'iris', version: '1', feature: 'petal_length' }, {
        summary: "Significant drift of a model's input feature",
        description: 'Feature petal_length of model iris version 1 (ml) has a PSI of 0.40 against its drift reference (GET /v1/models/iris/drift).',
      }),
      fires('OnnxModelServerPredictionDrift', { severity: 'warning', ...service, model: 'iris', version: '1' }, {
        summary: "Significant drift of a model's predicted classes",
        description: 'The predicted classes of model iris version 1 (ml) have a PSI of 0.50 against the drift reference (GET /v1/models/iris/drift).',
      }),
    ],
  },
  {
    name: 'a healthy service behind probes that fail fires nothing',
    interval: '1m',
    input_series: [
      ...PLATFORM_TRAFFIC,
      series('http_request_duration_seconds_count', `${PREDICT},status_code="200"`, '0+100x60'),
      ...buckets(`${PREDICT},status_code="200"`, [['0.5', 100], ['1', 100], ['+Inf', 100]]),
      series('model_version_ready', `${TARGET},model="iris",version="1"`, '1x60'),
      // Not ready for a few minutes only (a rollout): less than `for`.
      series('kube_pod_status_ready', `namespace="ml",pod="${POD}",condition="false"`, '1x5 0x55'),
      series('prediction_log_dropped_total', `${TARGET},reason="queue_full"`, '0x60'),
      series('model_feature_drift_psi', `${TARGET},model="iris",version="1",feature="petal_length"`, '0.1x60'),
      series('model_prediction_drift_psi', `${TARGET},model="iris",version="1"`, '0.05x60'),
      series('model_drift_window_instances', `${TARGET},model="iris",version="1"`, '2000x60'),
    ],
    alert_rule_test: ALL_ALERTS.map(none),
  },
];
