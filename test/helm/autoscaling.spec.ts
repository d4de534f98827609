import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { FIXTURES_DIR, get, read, values, type JsonObject } from '../support/chart';
import { CLUSTER_ARGS, HELM, byKind, helmNotes, helmTemplate, helmTemplateFails, type Manifest } from '../support/helm';
import { kubernetesProblems } from '../support/kubernetes-schemas';

/**
 * Scaling on the service's own load: a KEDA ScaledObject (Prometheus trigger, in place of the
 * chart's HPA, rendered only with KEDA's CRD), or the chart's HPA on a Pods metric served by
 * prometheus-adapter. Rendered by real helm; objects checked offline by @kubernetes-models/keda and
 * kubernetes-models.
 */

const KEDA_FILE = join(FIXTURES_DIR, 'good-keda-alerts.yaml');
const ALL_FEATURES = join(FIXTURES_DIR, 'good-all-features.yaml');
const KEDA_ON = ['--set', 'keda.enabled=true', '--set', 'keda.prometheus.serverAddress=http://prometheus.monitoring:9090'];
const WITHOUT_KEDA_CRD = CLUSTER_ARGS.filter((arg, i) => arg !== 'keda.sh/v1alpha1/ScaledObject' && CLUSTER_ARGS[i + 1] !== 'keda.sh/v1alpha1/ScaledObject');

type Trigger = { type: string; name: string; metricType: string; metadata: Record<string, string>; authenticationRef?: { name: string } };
const triggerOf = (scaledObject: Manifest): Trigger => ((scaledObject.spec as JsonObject).triggers as unknown as Trigger[])[0];

describe('KEDA ScaledObject', () => {
  it.skipIf(!HELM)('renders from good-keda-alerts.yaml: the Deployment scaled on the load query, no chart HPA, no replicas', () => {
    const manifests = helmTemplate(KEDA_FILE);
    expect(manifests.map((m) => m.kind)).not.toContain('HorizontalPodAutoscaler');
    const deployment = byKind(manifests, 'Deployment');
    expect(deployment.spec).not.toHaveProperty('replicas'); // KEDA's HPA owns them
    const scaledObject = byKind(manifests, 'ScaledObject');
    expect(scaledObject.apiVersion).toBe('keda.sh/v1alpha1');
    expect(scaledObject.metadata).toMatchObject({ name: deployment.metadata.name, namespace: 'ml' });
    const overlay = parse(read(KEDA_FILE)) as { keda: { prometheus: JsonObject; behavior: JsonObject } };
    expect(scaledObject.spec).toMatchObject({
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: deployment.metadata.name },
      minReplicaCount: 3,
      maxReplicaCount: 20,
      pollingInterval: 30,
      cooldownPeriod: 600,
      advanced: { horizontalPodAutoscalerConfig: { behavior: overlay.keda.behavior } },
    });
    const trigger = triggerOf(scaledObject);
    expect(trigger).toMatchObject({ type: 'prometheus', metricType: 'AverageValue', authenticationRef: { name: 'prometheus-bearer' } });
    expect(trigger.metadata.serverAddress).toBe(overlay.keda.prometheus.serverAddress);
    expect(trigger.metadata.threshold).toBe('12.5');
    expect(kubernetesProblems(scaledObject)).toEqual([]);
  });

  it.skipIf(!HELM)('queries by default the requests in flight of the release pods (HTTP without probes and scrapes, plus gRPC)', () => {
    const { query } = triggerOf(byKind(helmTemplate(undefined, KEDA_ON), 'ScaledObject')).metadata;
    const series = 'namespace="ml",service="test-release-onnx-model-server"';
    expect(query).toBe(
      `(sum(rate(http_request_duration_seconds_sum{${series},route!~\`/health/.*|/v2/health/.*|/metrics\`}[2m])) or vector(0))` +
        ` + (sum(rate(grpc_server_handling_seconds_sum{${series}}[2m])) or vector(0))`,
    );
    expect(triggerOf(byKind(helmTemplate(undefined, KEDA_ON), 'ScaledObject')).metadata.threshold).toBe(get(values, ['keda', 'prometheus', 'threshold']).value);
    // Another selector, window and query are taken as they are.
    const custom = triggerOf(
      byKind(
        helmTemplate(undefined, [...KEDA_ON, '--set-string', 'metrics.promqlSelector=kubernetes_namespace="ml"', '--set', 'keda.prometheus.window=5m']),
        'ScaledObject',
      ),
    ).metadata.query;
    expect(custom).toContain('http_request_duration_seconds_sum{kubernetes_namespace="ml",route!~`');
    expect(custom).toContain('[5m]');
    const own = 'sum(avg_over_time(model_queue_depth{namespace="ml"}[2m]))';
    expect(triggerOf(byKind(helmTemplate(undefined, [...KEDA_ON, '--set-string', `keda.prometheus.query=${own}`]), 'ScaledObject')).metadata.query).toBe(own);
  });

  it.skipIf(!HELM)('is rendered only where the KEDA CRD is installed: without it, replicaCount applies and NOTES warn', () => {
    const manifests = helmTemplate(KEDA_FILE, [], WITHOUT_KEDA_CRD);
    expect(manifests.map((m) => m.kind)).not.toContain('ScaledObject');
    expect((byKind(manifests, 'Deployment').spec as JsonObject).replicas).toBe(values.replicaCount);
    // NOTES render for a cluster without the CRDs (`helm install --dry-run=client` takes no --api-versions).
    const notes = helmNotes([], KEDA_FILE);
    expect(notes).toContain('WARNING: keda.enabled, but the cluster has no keda.sh/v1alpha1 ScaledObject (KEDA CRDs): no ScaledObject was\ncreated and the Deployment keeps replicaCount (2).');
    expect(notes).not.toContain('Autoscaling:');
  });

  it.skipIf(!HELM)('never renders with the chart HPA, and needs a Prometheus address and min <= max', () => {
    expect(helmTemplateFails([...KEDA_ON, '--set', 'autoscaling.enabled=true'])).toContain('keda.enabled and autoscaling.enabled are both set');
    expect(helmTemplateFails(['--set', 'keda.enabled=true'])).toContain('set keda.prometheus.serverAddress');
    expect(helmTemplateFails([...KEDA_ON, '--set', 'keda.minReplicas=5', '--set', 'keda.maxReplicas=4'])).toContain('keda.minReplicas must not exceed keda.maxReplicas');
    expect(helmTemplateFails([...KEDA_ON, '--set', 'keda.prometheus.threshold=16'])).toMatch(/threshold/);
  });

  it.skipIf(!HELM)('the offline KEDA validation catches a wrong type and an unknown field', () => {
    const scaledObject = byKind(helmTemplate(KEDA_FILE), 'ScaledObject');
    const spec = scaledObject.spec as JsonObject;
    const broken = { ...scaledObject, spec: { ...spec, minReplicaCount: 'three', pollingIntervall: 30 } } as Manifest;
    const problems = kubernetesProblems(broken);
    expect(problems.some((p) => p.includes('schema:') && p.includes('/spec/minReplicaCount'))).toBe(true);
    expect(problems).toContain('ScaledObject test-release-onnx-model-server: unknown field /spec/pollingIntervall');
  });
});

describe('HPA on a Pods metric from prometheus-adapter', () => {
  it.skipIf(!HELM)('adds the Pods metric after the CPU one, alone when the CPU target is 0', () => {
    const hpa = byKind(helmTemplate(ALL_FEATURES), 'HorizontalPodAutoscaler');
    const metrics = (hpa.spec as JsonObject).metrics as JsonObject[];
    expect(metrics[0]).toMatchObject({ type: 'Resource', resource: { name: 'cpu' } });
    expect(metrics[1]).toEqual({ type: 'Pods', pods: { metric: { name: 'onnx_http_requests_in_flight' }, target: { type: 'AverageValue', averageValue: '12' } } });
    expect(metrics[2]).toMatchObject({ type: 'Pods', pods: { metric: { name: 'http_requests_per_second' } } }); // extraMetrics after it
    expect(kubernetesProblems(hpa)).toEqual([]);

    const alone = ['--set', 'autoscaling.enabled=true', '--set', 'autoscaling.targetCPUUtilizationPercentage=0', '--set', 'autoscaling.podsMetric.enabled=true'];
    const only = byKind(helmTemplate(undefined, alone), 'HorizontalPodAutoscaler');
    expect((only.spec as JsonObject).metrics).toEqual([
      { type: 'Pods', pods: { metric: { name: 'onnx_http_requests_in_flight' }, target: { type: 'AverageValue', averageValue: '16' } } },
    ]);
    expect(kubernetesProblems(only)).toEqual([]);
    expect(helmNotes(alone)).toContain('on onnx_http_requests_in_flight (target 16 per pod, from prometheus-adapter)');
    // No metric at all is refused, as before.
    expect(helmTemplateFails(['--set', 'autoscaling.enabled=true', '--set', 'autoscaling.targetCPUUtilizationPercentage=0'])).toContain('enable autoscaling.podsMetric');
  });

  it.skipIf(!HELM)('is off by default: the default autoscaling is the CPU HPA, and nothing scales unless asked', () => {
    expect(helmTemplate().map((m) => m.kind)).not.toContain('HorizontalPodAutoscaler');
    expect(helmTemplate().map((m) => m.kind)).not.toContain('ScaledObject');
    const hpa = byKind(helmTemplate(undefined, ['--set', 'autoscaling.enabled=true']), 'HorizontalPodAutoscaler');
    expect((hpa.spec as JsonObject).metrics).toEqual([{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } }]);
  });
});
