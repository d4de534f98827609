import { describe, expect, it } from 'vitest';
import { twoProcessesRelaying } from '../../test/support/relaying-primary';
import { seededRandom } from '../../test/support/seeded-random';
import { ServerProcess, TO_HTTP_PROCESS, TO_PRIMARY } from '../cluster/server-process';
import { DomainError } from '../common/errors/domain-error';
import type { TensorMap } from '../inference/tensors';
import { parseManifest } from '../model-registry/manifest';
import type { ModelRegistry } from '../model-registry/model-registry.service';
import type { ModelStatus, ReadyVersion } from '../model-registry/model-version';
import { type ShadowConfig, shadowInForce } from '../model-registry/shadow-config';
import { MetricsRegistry } from '../observability/metrics-registry';
import { RequestContext } from '../request-context/request-context';
import { PredictionObservers, type PredictionRecord } from '../serving/prediction-observers';
import { ShadowMonitor } from './shadow-monitor';

const MANIFEST = parseManifest({ task: 'classification', labels: ['x', 'y'], scores_output: 'scores' }, 'm.json');

/** A version answering `scores` [rows, 2]: class 1 for positive inputs, or always class `fixed`. */
function version(number: number, run: (feeds: TensorMap) => Promise<TensorMap> = async (feeds) => answer(feeds)): ReadyVersion {
  return {
    name: 'm',
    version: number,
    manifest: MANIFEST,
    model: {
      inputs: [{ name: 'input', type: 'float32', dims: [null, 1] }],
      outputs: [{ name: 'scores', type: 'float32', dims: [null, 2] }],
      run,
      release: async () => undefined,
    },
    sha256: 'abc',
    enter: () => undefined,
    leave: () => undefined,
  };
}

function answer(feeds: TensorMap, flip = false): TensorMap {
  const values = Array.from(feeds.input.data as Float32Array);
  const positive = (v: number) => (v > 0) !== flip;
  return { scores: { type: 'float32', dims: [values.length, 2], data: Float32Array.from(values.flatMap((v) => (positive(v) ? [0.2, 0.8] : [0.9, 0.1]))) } };
}

function modelWith(shadow: ShadowConfig | undefined, shadowVersion: ReadyVersion = version(2)): ModelStatus {
  return {
    name: 'm',
    versions: [
      { version: 1, state: 'READY', ready: version(1) as never },
      { version: 2, state: 'READY', ready: shadowVersion as never },
    ],
    labels: { canary: 2 },
    weights: {},
    configuredDefault: 1,
    shadow: shadowInForce(undefined, shadow),
  };
}

function registryOf(model: ModelStatus): ModelRegistry {
  return {
    get: (name: string) => {
      if (name !== 'm') throw new DomainError('MODEL_NOT_FOUND', `no model ${name}`);
      return model;
    },
    resolve: (_: string, selector: { version: number }) => {
      const ready = model.versions.find((status) => status.version === selector.version)?.ready;
      if (!ready) throw new DomainError('VERSION_NOT_AVAILABLE', `no version ${selector.version}`);
      return ready;
    },
  } as unknown as ModelRegistry;
}

function monitorOf(model: ModelStatus, serverProcess = ServerProcess.standalone()) {
  const observers = new PredictionObservers();
  const metrics = new MetricsRegistry(ServerProcess.standalone());
  const shadow = new ShadowMonitor(registryOf(model), observers, metrics, serverProcess);
  shadow.onModuleInit();
  const shadowAnswers: PredictionRecord[] = [];
  observers.add({ name: 'log', observe: () => undefined, observeShadow: (record) => shadowAnswers.push(record) });
  return { shadow, observers, metrics, shadowAnswers };
}

let requests = 0;

/** One request answered by `servedBy`: its run is shown to the observers, then its answer goes out with `status`. */
function request(observers: PredictionObservers, values: number[][], options: { servedBy?: number; status?: number; outcome?: 'success' | 'error' } = {}): RequestContext {
  const context = new RequestContext(`r${++requests}`, 'http', 'POST', '/v1/models/:name/predict', '/v1/models/m/predict', () => false);
  const version = options.servedBy ?? 1;
  for (const run of values) {
    const inputs: TensorMap = { input: { type: 'float32', dims: [run.length, 1], data: Float32Array.from(run) } };
    observers.notify({ model: 'm', version, protocol: 'http', requestId: context.requestId, startedAt: 0, latencyMs: 1, rows: run.length, inputs, outputs: answer(inputs) }, context);
  }
  context.outcome = options.outcome ?? 'success';
  context.finish(options.status ?? 200, 1);
  return context;
}

describe('ShadowMonitor sampling', () => {
  it.each([
    ['a seeded generator', seededRandom(42)],
    ['Math.random', Math.random],
  ])('samples each answered request with probability `sample`: within 5 standard deviations over 2000 requests (%s)', async (_, random) => {
    const { shadow, observers } = monitorOf(modelWith({ version: 2, sample: 0.3, queue_size: 10_000 }));
    shadow.random = random;
    const n = 2000;
    for (let i = 0; i < n; i++) request(observers, [[1]]);
    await shadow.idle();
    const report = await shadow.report('m');
    const sampled = Object.values(report.requests).reduce((sum, count) => sum + count, 0);
    expect(sampled).toBe(report.requests.compared);
    const sigma = Math.sqrt(n * 0.3 * 0.7);
    expect(Math.abs(sampled - n * 0.3)).toBeLessThan(5 * sigma);
  });

  it('samples none at 0 and all at 1', async () => {
    const none = monitorOf(modelWith({ version: 2, sample: 0 }));
    for (let i = 0; i < 50; i++) request(none.observers, [[1]]);
    await none.shadow.idle();
    expect((await none.shadow.report('m')).requests.compared).toBe(0);
    const all = monitorOf(modelWith({ version: 2, sample: 1, queue_size: 100 }));
    for (let i = 0; i < 50; i++) request(all.observers, [[1]]);
    await all.shadow.idle();
    expect((await all.shadow.report('m')).requests.compared).toBe(50);
  });
});

describe('ShadowMonitor', () => {
  it('runs a sampled request on the shadow once its answer is out, compares per row and logs the shadow answer marked', async () => {
    const flipped = version(2, async (feeds) => answer(feeds, true));
    const { shadow, observers, shadowAnswers } = monitorOf(modelWith({ version: 'canary', sample: 1 }, flipped));
    // Two runs of one request (a model without a batch dimension): one trial, its instances numbered across them.
    request(observers, [[1, -1], [2]]);
    await shadow.idle();
    const report = await shadow.report('m');
    expect(report).toMatchObject({ shadow_version: 2, requests: { compared: 1 }, rows: 3, top1: { agree: 0, total: 3 }, topk: { k: 1 } });
    expect(report.comparisons[0].outputs.scores.largest.map((d) => d.instance).sort()).toEqual([0, 1, 2]);
    expect(shadowAnswers.map((record) => [record.version, record.shadowOf, record.rows])).toEqual([
      [2, 1, 2],
      [2, 1, 1],
    ]);
  });

  it('does not run before the answer has gone out, nor for an answer that failed after its run', async () => {
    let runs = 0;
    const counted = version(2, async (feeds) => (runs++, answer(feeds)));
    const { shadow, observers } = monitorOf(modelWith({ version: 2, sample: 1 }, counted));
    const context = new RequestContext('pending', 'http', 'POST', '/r', '/r', () => false);
    observers.notify({ model: 'm', version: 1, protocol: 'http', requestId: 'pending', startedAt: 0, latencyMs: 1, rows: 1, inputs: { input: { type: 'float32', dims: [1, 1], data: Float32Array.from([1]) } }, outputs: {} }, context);
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(runs).toBe(0);
    request(observers, [[1]], { status: 500 });
    request(observers, [[1]], { outcome: 'error' });
    await shadow.idle();
    expect(runs).toBe(0);
    expect((await shadow.report('m')).requests).toEqual({ compared: 0, incomparable: 0, failed: 0, unavailable: 0, dropped: 0 });
  });

  it('skips a request served by the shadow version itself', async () => {
    const { shadow, observers } = monitorOf(modelWith({ version: 2, sample: 1 }));
    request(observers, [[1]], { servedBy: 2 });
    await shadow.idle();
    expect((await shadow.report('m')).comparisons).toEqual([]);
  });

  it('counts a label that names no version, a version that is not there or retired, a failed run, and a full queue', async () => {
    const unknownLabel = monitorOf(modelWith({ version: 'later', sample: 1 }));
    request(unknownLabel.observers, [[1]]);
    await unknownLabel.shadow.idle();
    expect((await unknownLabel.shadow.report('m')).comparisons[0]).toMatchObject({ shadow_version: 'later', requests: { unavailable: 1 } });

    const missing = monitorOf(modelWith({ version: 7, sample: 1 }));
    request(missing.observers, [[1]]);
    await missing.shadow.idle();
    expect((await missing.shadow.report('m')).comparisons[0]).toMatchObject({ shadow_version: 7, requests: { unavailable: 1 } });

    const retired = monitorOf(modelWith({ version: 2, sample: 1 }, { ...version(2), deprecation: { refusedFrom: 0 } as never }));
    request(retired.observers, [[1]]);
    await retired.shadow.idle();
    expect((await retired.shadow.report('m')).requests).toMatchObject({ unavailable: 1, compared: 0 });

    const failing = monitorOf(modelWith({ version: 2, sample: 1 }, version(2, () => Promise.reject(new Error('boom')))));
    request(failing.observers, [[1]]);
    await failing.shadow.idle();
    expect((await failing.shadow.report('m')).requests).toMatchObject({ failed: 1, compared: 0 });

    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const slow = monitorOf(modelWith({ version: 2, sample: 1, queue_size: 2 }, version(2, async (feeds) => (await held, answer(feeds)))));
    request(slow.observers, [[1]]);
    await new Promise((resolve) => setImmediate(resolve));
    // One runs, two wait, the other seven are dropped at once: no request waits for the shadow.
    for (let i = 0; i < 9; i++) request(slow.observers, [[1]]);
    expect((await slow.shadow.report('m')).requests).toMatchObject({ compared: 0, dropped: 7 });
    release();
    await slow.shadow.idle();
    expect((await slow.shadow.report('m')).requests).toMatchObject({ compared: 3, dropped: 7 });
  });

  it('answers NO_SHADOW for a model without one, and starts its figures again when the shadow config changes', async () => {
    const model = modelWith(undefined);
    const { shadow, observers } = monitorOf(model);
    await expect(shadow.report('m')).rejects.toMatchObject({ code: 'NO_SHADOW' });
    model.shadow = shadowInForce(undefined, { version: 2, sample: 1 }, new Date('2026-01-01T00:00:00Z'));
    request(observers, [[1]]);
    await shadow.idle();
    expect(await shadow.report('m')).toMatchObject({ since: '2026-01-01T00:00:00.000Z', requests: { compared: 1 } });
    model.shadow = shadowInForce(model.shadow, { version: 2, sample: 0.5 }, new Date('2026-01-02T00:00:00Z'));
    expect(await shadow.report('m')).toMatchObject({ since: '2026-01-02T00:00:00.000Z', requests: { compared: 0 } });
  });

  it('adds up the figures of every HTTP process of the pod under the same config', async () => {
    const { first, second, closeSecond } = twoProcessesRelaying(TO_PRIMARY.shadow, TO_HTTP_PROCESS.shadow);
    const one = monitorOf(modelWith({ version: 2, sample: 1 }), first);
    const two = monitorOf(modelWith({ version: 2, sample: 1 }), second);
    request(one.observers, [[1]]);
    request(two.observers, [[1], [2]]);
    request(two.observers, [[-1]]);
    await Promise.all([one.shadow.idle(), two.shadow.idle()]);
    expect(await one.shadow.report('m')).toMatchObject({ processes: 2, requests: { compared: 3 }, rows: 4 });
    closeSecond();
    await expect(one.shadow.report('m')).rejects.toMatchObject({ code: 'PROCESS_UNAVAILABLE' });
  });
});
