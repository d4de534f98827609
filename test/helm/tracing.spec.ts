import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tracingRequested } from '../../src/observability/tracing';
import { FIXTURES_DIR, ROOT, read } from '../support/chart';
import { HELM, byKind, envOf, helmTemplate, helmTemplateFails, podOf, type Container } from '../support/helm';

/**
 * The chart's `tracing` values, rendered as the OpenTelemetry SDK's OTEL_* variables that
 * docs/tracing.md lists and src/observability/tracing.ts reads to turn tracing on.
 */

const serverOf = (file?: string, args: string[] = []): Container => podOf(byKind(helmTemplate(file, args), 'Deployment')).spec.containers[0];
const otelOf = (container: Container): Record<string, string | undefined> =>
  Object.fromEntries(Object.entries(envOf(container)).filter(([name]) => name.startsWith('OTEL_')));
const asProcessEnv = (container: Container): NodeJS.ProcessEnv => envOf(container) as NodeJS.ProcessEnv;

describe('tracing values', () => {
  it.skipIf(!HELM)('render nothing by default: the service does not trace', () => {
    const container = serverOf();
    expect(otelOf(container)).toEqual({});
    expect(tracingRequested(asProcessEnv(container))).toBe(false);
  });

  it.skipIf(!HELM)('render the OTEL_* variables the service reads, and turn tracing on', () => {
    const container = serverOf(join(FIXTURES_DIR, 'good-all-features.yaml'));
    expect(otelOf(container)).toEqual({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel-collector.observability:4318',
      OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/protobuf',
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.05',
      OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=prod',
    });
    expect(tracingRequested(asProcessEnv(container))).toBe(true);

    const grpc = serverOf(join(FIXTURES_DIR, 'good-keda-alerts.yaml'));
    expect(otelOf(grpc)).toEqual({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel-collector.observability:4317',
      OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'grpc',
      OTEL_TRACES_SAMPLER: 'parentbased_always_on', // no OTEL_TRACES_SAMPLER_ARG without a ratio sampler
      OTEL_SERVICE_NAME: 'models-prod',
      OTEL_EXPORTER_OTLP_HEADERS: undefined, // from the Secret:
    });
    expect(grpc.env.find((e) => e.name === 'OTEL_EXPORTER_OTLP_HEADERS')).toEqual({
      name: 'OTEL_EXPORTER_OTLP_HEADERS',
      valueFrom: { secretKeyRef: { name: 'otel-headers', key: 'headers' } },
    });
    expect(tracingRequested(asProcessEnv(grpc))).toBe(true);
  });

  it.skipIf(!HELM)('take fractions from --set (a string there) and sort the resource attributes', () => {
    const container = serverOf(undefined, [
      '--set', 'tracing.endpoint=http://otel:4318',
      '--set', 'tracing.sampler=traceidratio',
      '--set', 'tracing.samplerRatio=0.001',
      '--set', 'tracing.resourceAttributes.service\\.namespace=ml',
      '--set', 'tracing.resourceAttributes.deployment\\.environment=staging',
    ]);
    expect(otelOf(container)).toMatchObject({ OTEL_TRACES_SAMPLER_ARG: '0.001', OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=staging,service.namespace=ml' });
    expect(helmTemplateFails(['--set', 'tracing.endpoint=http://otel:4318', '--set', 'tracing.samplerRatio=1.5'])).toMatch(/samplerRatio/);
  });

  it('render only variables docs/tracing.md documents', () => {
    const documented = new Set(read(join(ROOT, 'docs', 'tracing.md')).match(/OTEL_[A-Z_]+/g));
    const rendered = read(join(ROOT, 'helm', 'onnx-model-server', 'templates', '_helpers.tpl')).match(/^OTEL_[A-Z_]+(?=:)/gm) ?? [];
    expect(rendered.length).toBeGreaterThanOrEqual(6);
    for (const name of [...rendered, 'OTEL_EXPORTER_OTLP_HEADERS']) expect(documented, name).toContain(name);
  });

  it.skipIf(!HELM)('leave extraEnv the OTEL_* variables while tracing.endpoint is empty, and refuse the ones they set otherwise', () => {
    const own = ['--set', 'extraEnv[0].name=OTEL_EXPORTER_OTLP_ENDPOINT', '--set', 'extraEnv[0].value=http://collector:4318'];
    expect(otelOf(serverOf(undefined, own))).toEqual({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' });
    expect(helmTemplateFails([...own, '--set', 'tracing.endpoint=http://otel:4318'])).toContain('OTEL_EXPORTER_OTLP_ENDPOINT is set by the chart from tracing');
    const headers = ['--set', 'extraEnv[0].name=OTEL_EXPORTER_OTLP_HEADERS', '--set', 'extraEnv[0].value=x=y', '--set', 'tracing.endpoint=http://otel:4318'];
    expect(otelOf(serverOf(undefined, headers)).OTEL_EXPORTER_OTLP_HEADERS).toBe('x=y');
    expect(helmTemplateFails([...headers, '--set', 'tracing.headers.existingSecret.name=otel'])).toContain('OTEL_EXPORTER_OTLP_HEADERS is set by the chart');
    // Variables the chart does not set stay the user's, e.g. the batch span processor's.
    const bsp = ['--set', 'tracing.endpoint=http://otel:4318', '--set', 'extraEnv[0].name=OTEL_BSP_SCHEDULE_DELAY', '--set-string', 'extraEnv[0].value=1000'];
    expect(otelOf(serverOf(undefined, bsp)).OTEL_BSP_SCHEDULE_DELAY).toBe('1000');
  });
});
