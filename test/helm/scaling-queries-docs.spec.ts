import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { ROOT, read } from '../support/chart';
import { HELM, byKind, helmTemplate } from '../support/helm';
import { PROMTOOL, promtool } from '../support/promtool';

/**
 * The scaling queries give the numbers they promise, evaluated by promtool on series shaped like the
 * service's: the KEDA default query (rendered by helm) and the prometheus-adapter rules of
 * docs/kubernetes.md, with the adapter's placeholders filled in as it fills them for a Pods metric.
 */

const work = mkdtempSync(join(tmpdir(), 'scaling-queries-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const SERVICE = 'test-release-onnx-model-server';
const at = (pod: string) => `namespace="ml",service="${SERVICE}",pod="${pod}"`;
/** Two pods: p1 spends 8 s/s in client HTTP requests and 2 s/s in gRPC calls, p2 4 s/s in HTTP and no gRPC yet; both answer probes. */
const LOAD = [
  { series: `http_request_duration_seconds_sum{${at('p1')},method="POST",route="/v1/models/:name/predict",status_code="200"}`, values: '0+480x10' },
  { series: `http_request_duration_seconds_sum{${at('p1')},method="GET",route="/health/ready",status_code="200"}`, values: '0+6000x10' },
  { series: `http_request_duration_seconds_sum{${at('p1')},method="GET",route="/metrics",status_code="200"}`, values: '0+600x10' },
  { series: `grpc_server_handling_seconds_sum{${at('p1')},grpc_type="unary",grpc_service="inference.GRPCInferenceService",grpc_method="ModelInfer"}`, values: '0+120x10' },
  { series: `http_request_duration_seconds_sum{${at('p2')},method="POST",route="/v2/models/:name/infer",status_code="200"}`, values: '0+240x10' },
  { series: `http_request_duration_seconds_sum{${at('p2')},method="GET",route="/v2/health/ready",status_code="200"}`, values: '0+6000x10' },
  { series: `model_queue_depth{${at('p1')},model="iris",version="1"}`, values: '10x10' },
  { series: `model_queue_depth{${at('p1')},model="digits",version="1"}`, values: '20x10' },
  { series: `model_queue_depth{${at('p2')},model="iris",version="1"}`, values: '4x10' },
];

/** `promtool test rules` of PromQL expressions (no rule file) on the input series. */
function evaluate(cases: { expr: string; exp_samples: { labels: string; value: number }[] }[], input = LOAD): void {
  const file = join(work, `test-${Math.random().toString(36).slice(2)}.yaml`);
  const tests = [{ interval: '1m', input_series: input, promql_expr_test: cases.map((c) => ({ ...c, eval_time: '8m' })) }];
  writeFileSync(file, stringify({ rule_files: [], evaluation_interval: '1m', tests }));
  const result = promtool(['test', 'rules', file]);
  expect(result.status, `${result.stdout}${result.stderr}`).toBe(0);
}

type AdapterRule = { seriesQuery: string; name: { matches: string; as: string }; metricsQuery: string; resources: unknown };

/** The prometheus-adapter rules of docs/kubernetes.md (its yaml block with `rules: custom:`). */
function documentedAdapterRules(): AdapterRule[] {
  const blocks = [...read(join(ROOT, 'docs', 'kubernetes.md')).matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]);
  const block = blocks.find((text) => text.startsWith('rules:\n  custom:'));
  expect(block, 'docs/kubernetes.md has the prometheus-adapter rules').toBeDefined();
  return (parse(block!) as { rules: { custom: AdapterRule[] } }).rules.custom;
}

/** A rule's metricsQuery as the adapter sends it for the pods of namespace ml (GroupBy: the pod resource's label). */
const filledIn = (rule: AdapterRule): string =>
  rule.metricsQuery
    .replaceAll('<<.Series>>', rule.name.matches.replace(/^\^|\$$/g, ''))
    .replaceAll('<<.LabelMatchers>>', 'namespace="ml",pod=~"p1|p2"')
    .replaceAll('<<.GroupBy>>', 'pod')
    .trim();

describe('scaling queries, evaluated by promtool', () => {
  it.skipIf(!HELM || !PROMTOOL)('the KEDA default query gives the requests in flight of every pod together, 0 with no client traffic', () => {
    const manifests = helmTemplate(undefined, ['--set', 'keda.enabled=true', '--set', 'keda.prometheus.serverAddress=http://prometheus:9090']);
    const query = (byKind(manifests, 'ScaledObject').spec as { triggers: { metadata: { query: string } }[] }).triggers[0].metadata.query;
    // 8 + 2 (p1) + 4 (p2): probes and scrapes are not load.
    evaluate([{ expr: query, exp_samples: [{ labels: '{}', value: 14 }] }]);
    // Before the first client request the histograms have only probe series: 0, not an empty result.
    const probesOnly = LOAD.filter((s) => s.series.includes('/health/') || s.series.includes('/metrics'));
    evaluate([{ expr: query, exp_samples: [{ labels: '{}', value: 0 }] }], probesOnly);
  });

  it.skipIf(!PROMTOOL)('the documented prometheus-adapter rules give each pod its requests in flight and queue depth', () => {
    const rules = documentedAdapterRules();
    expect(rules.map((r) => r.name.as)).toEqual(['onnx_http_requests_in_flight', 'onnx_model_queue_depth']);
    const rulesFile = join(work, 'adapter-rules.yaml');
    writeFileSync(rulesFile, stringify({ groups: [{ name: 'adapter', rules: rules.map((r) => ({ record: `adapter:${r.name.as}`, expr: filledIn(r) })) }] }));
    const check = promtool(['check', 'rules', rulesFile]);
    expect(check.status, `${check.stdout}${check.stderr}`).toBe(0);
    const [inFlight, queue] = rules.map(filledIn);
    evaluate([
      { expr: inFlight, exp_samples: [{ labels: '{pod="p1"}', value: 10 }, { labels: '{pod="p2"}', value: 4 }] },
      { expr: queue, exp_samples: [{ labels: '{pod="p1"}', value: 30 }, { labels: '{pod="p2"}', value: 4 }] },
    ]);
    // The series the rules discover by are the ones the KEDA query and the alerts read.
    expect(rules.map((r) => r.seriesQuery)).toEqual(['http_request_duration_seconds_sum{namespace!="",pod!=""}', 'model_queue_depth{namespace!="",pod!=""}']);
  });

  it.skipIf(!PROMTOOL)('the queue-depth query of docs/kubernetes.md sums the pods', () => {
    const documented = /```promql\n(sum\(avg_over_time\(model_queue_depth[^\n]*)\n```/.exec(read(join(ROOT, 'docs', 'kubernetes.md')))?.[1];
    expect(documented).toBeDefined();
    const query = documented!.replace('service="models-onnx-model-server"', `service="${SERVICE}"`);
    evaluate([{ expr: query, exp_samples: [{ labels: '{}', value: 34 }] }]);
  });
});
