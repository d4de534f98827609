import { loadConfig } from '../config/app-config';
import { AggregatorRegistry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { twoProcessesRelaying } from '../../test/support/relaying-primary';
import { ServerProcess, TO_HTTP_PROCESS, TO_PRIMARY } from '../cluster/server-process';
import { DomainError } from '../common/errors/domain-error';
import type { TensorMap } from '../inference/tensors';
import { parseManifest } from '../model-registry/manifest';
import type { ModelRegistry } from '../model-registry/model-registry.service';
import type { ReadyVersion } from '../model-registry/model-version';
import { MetricsRegistry } from '../observability/metrics-registry';
import { RequestContext } from '../request-context/request-context';
import { PredictionObservers } from '../serving/prediction-observers';
import { DriftMonitor } from './drift-monitor';
import { psi } from './psi';

const MANIFEST = {
  task: 'classification',
  features: ['a'],
  labels: ['x', 'y'],
  drift: { features: { a: { edges: [0], counts: [50, 50] } }, predictions: { counts: [50, 50] } },
};

function version(manifest: unknown = MANIFEST, sha256 = 'abc'): ReadyVersion {
  return {
    name: 'm',
    version: 1,
    manifest: parseManifest(manifest, 'm.json'),
    model: {
      inputs: [{ name: 'input', type: 'float32', dims: [null, 1] }],
      outputs: [{ name: 'scores', type: 'float32', dims: [null, 2] }],
      run: async () => ({}),
      release: async () => undefined,
    },
    sha256,
    enter: () => undefined,
    leave: () => undefined,
  };
}

function registryServing(ready: ReadyVersion): ModelRegistry {
  const model = { name: 'm', versions: [{ version: 1, state: 'READY', ready }], labels: {}, weights: {}, configuredDefault: undefined };
  return {
    get: (name: string) => {
      if (name !== 'm') throw new DomainError('MODEL_NOT_FOUND', 'no');
      return model;
    },
    list: () => [model],
  } as unknown as ModelRegistry;
}

function monitor(
  ready: ReadyVersion,
  serverProcess = ServerProcess.standalone(),
  env: Record<string, string> = {},
): { drift: DriftMonitor; observers: PredictionObservers; metrics: MetricsRegistry } {
  const observers = new PredictionObservers();
  const metrics = new MetricsRegistry(ServerProcess.standalone());
  const drift = new DriftMonitor(registryServing(ready), observers, metrics, serverProcess, loadConfig(env));
  drift.onModuleInit();
  return { drift, observers, metrics };
}

const CONTEXT = new RequestContext('r', 'http', 'POST', '/v1/models/:name/predict', '/v1/models/m/predict', () => false);

/** One answered request of `values` (feature a), each predicted as class `y` when positive. */
function answer(observers: PredictionObservers, values: number[]): void {
  const inputs: TensorMap = { input: { type: 'float32', dims: [values.length, 1], data: Float32Array.from(values) } };
  const outputs: TensorMap = {
    scores: { type: 'float32', dims: [values.length, 2], data: Float32Array.from(values.flatMap((v) => (v > 0 ? [0, 1] : [1, 0]))) },
  };
  observers.notify({ model: 'm', version: 1, protocol: 'http', requestId: undefined, startedAt: 0, latencyMs: 1, rows: values.length, inputs, outputs }, CONTEXT);
}

/** Two HTTP processes and a primary relaying their drift questions, as Primary does. */
function twoProcesses(second: ReadyVersion = version()) {
  const { first, second: secondProcess, closeSecond } = twoProcessesRelaying(TO_PRIMARY.drift, TO_HTTP_PROCESS.drift);
  const firstReady = version();
  return {
    firstReady,
    one: monitor(firstReady, first),
    two: monitor(second, secondProcess),
    closeSecond,
  };
}

describe('DriftMonitor', () => {
  it('registers itself with the prediction observers and counts what they are shown', async () => {
    const ready = version();
    const { drift, observers } = monitor(ready);
    expect(observers.active).toBe(true);
    answer(observers, [-1, 1, 2]);
    const report = await drift.report(ready);
    expect(report).toMatchObject({ model: 'm', version: 1, window: 1000, instances: 3, processes: 1 });
    expect(report.features.a.counts).toEqual([1, 2]);
    expect(report.predictions!.counts).toEqual([1, 2]);
    expect(report.predictions!.labels).toEqual(['x', 'y']);
  });

  it('ignores predictions of models it does not know, and refuses a report without a reference', async () => {
    const ready = version({ task: 'classification', labels: ['x', 'y'] });
    const { drift, observers } = monitor(ready);
    observers.notify({ model: 'other', version: 1, protocol: 'http', requestId: undefined, startedAt: 0, latencyMs: 1, rows: 1, inputs: {}, outputs: {} }, CONTEXT);
    answer(observers, [1]);
    await expect(drift.report(ready)).rejects.toMatchObject({ code: 'NO_DRIFT_REFERENCE' });
  });

  it('exports counters from 0 for every bin, PSI gauges once there is data', async () => {
    const { observers, metrics } = monitor(version());
    let text = await metrics.registry.metrics();
    expect(text).toContain('model_feature_bin_observations_total{model="m",version="1",feature="a",bin="0"} 0');
    expect(text).toContain('model_prediction_class_observations_total{model="m",version="1",class="y"} 0');
    expect(text).toContain('model_feature_reference_bin_instances{model="m",version="1",feature="a",bin="1"} 50');
    expect(text).not.toMatch(/^model_feature_drift_psi\{/m);
    answer(observers, [1, 1]);
    text = await metrics.registry.metrics();
    expect(text).toContain('model_feature_bin_observations_total{model="m",version="1",feature="a",bin="1"} 2');
    expect(text).toMatch(/^model_feature_drift_psi\{model="m",version="1",feature="a"\} 0\.\d+$/m);
    expect(text).toMatch(/^model_prediction_drift_psi\{model="m",version="1"\} 0\.\d+$/m);
    expect(text).toContain('model_drift_window_instances{model="m",version="1"} 2');
  });

  it("merges into one scrape as the primary does: counts added up, the reference once, the largest PSI", async () => {
    const one = monitor(version());
    const two = monitor(version());
    answer(one.observers, [-1, -1, 1]);
    answer(two.observers, [1, 1, 1, 1]);
    const merged = await AggregatorRegistry.aggregate([
      await one.metrics.registry.getMetricsAsJSON(),
      await two.metrics.registry.getMetricsAsJSON(),
    ]).metrics();
    expect(merged).toContain('model_feature_bin_observations_total{model="m",version="1",feature="a",bin="1"} 5');
    expect(merged).toContain('model_prediction_class_observations_total{model="m",version="1",class="x"} 2');
    expect(merged).toContain('model_feature_reference_bin_instances{model="m",version="1",feature="a",bin="0"} 50');
    expect(merged).toContain('model_drift_window_instances{model="m",version="1"} 7');
    const largest = Math.max(psi([50, 50], [2, 1]), psi([50, 50], [0, 4]));
    expect(merged).toContain(`model_feature_drift_psi{model="m",version="1",feature="a"} ${largest}`);
  });

  it('answers for the pod: adds up the windows of every HTTP process', async () => {
    const { firstReady, one, two } = twoProcesses();
    answer(one.observers, [-1, -2]);
    answer(two.observers, [1, 2, 3]);
    const report = await one.drift.report(firstReady);
    expect(report).toMatchObject({ instances: 5, processes: 2 });
    expect(report.features.a.counts).toEqual([2, 3]);
    expect(report.predictions!.counts).toEqual([2, 3]);
  });

  it('leaves out a process serving another file under the same version number', async () => {
    const { firstReady, one, two } = twoProcesses(version(MANIFEST, 'another model.onnx'));
    answer(one.observers, [-1]);
    answer(two.observers, [1, 2, 3]);
    expect(await one.drift.report(firstReady)).toMatchObject({ instances: 1, processes: 1 });
  });

  it('fails with PROCESS_UNAVAILABLE rather than answer for part of the pod', async () => {
    const { firstReady, one, closeSecond } = twoProcesses();
    closeSecond();
    await expect(one.drift.report(firstReady)).rejects.toMatchObject({
      code: 'PROCESS_UNAVAILABLE',
      message: expect.stringContaining('HTTP process 2'),
    });
  });
});

describe('DRIFT_ENABLED=false', () => {
  it('registers no observer and no series, and the report says drift is off', async () => {
    const ready = version();
    const { drift, observers, metrics } = monitor(ready, ServerProcess.standalone(), { DRIFT_ENABLED: 'false' });
    expect(observers.active).toBe(false);
    expect(await metrics.registry.metrics()).not.toContain('drift_psi');
    await expect(drift.report(ready)).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining('DRIFT_ENABLED=false') });
  });
});
