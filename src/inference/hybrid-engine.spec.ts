import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HybridEngine } from './hybrid-engine';
import type { LoadedModel } from './engine-contracts';
import { RUNTIME_BYTES_ON_EVENT_LOOP, RUNTIME_BYTES_PER_WORKER } from './resident-bytes';
import { WorkerPoolEngine } from './worker-pool';
import { OnnxRuntimeEngine } from './onnx-runtime.adapter';

const MODELS = path.resolve(__dirname, '../../models');
const SETTINGS = { intraOpThreads: 1, interOpThreads: 1 };
/**
 * A threshold that puts iris (about 15 µs for 32 rows on a quiet machine) on the event loop and digits
 * (about 3,500 µs) in the workers, with room for a loaded CI machine: 250 µs once put iris in a worker
 * there, its fastest of ten runs slowed past it by the test files running beside it.
 */
const BETWEEN_IRIS_AND_DIGITS_US = 1_000;

/** Counts the models loaded into the workers. */
class CountingWorkerPool extends WorkerPoolEngine {
  loads = 0;

  override load(...args: Parameters<WorkerPoolEngine['load']>): ReturnType<WorkerPoolEngine['load']> {
    this.loads++;
    return super.load(...args);
  }
}

function bytesOf(model: string): Uint8Array {
  return readFileSync(path.join(MODELS, model, '1', 'model.onnx'));
}

describe('HybridEngine: where each model runs', () => {
  let engine: HybridEngine | undefined;
  const loaded: LoadedModel[] = [];

  afterEach(async () => {
    await Promise.all(loaded.splice(0).map((model) => model.release()));
    await engine?.close();
  });

  function hybrid(inlineMaxUs: number): HybridEngine {
    engine = new HybridEngine(new WorkerPoolEngine(SETTINGS, 1), new OnnxRuntimeEngine(SETTINGS), inlineMaxUs);
    return engine;
  }

  async function load(on: HybridEngine, model: string): Promise<LoadedModel> {
    const result = await on.load(bytesOf(model), `${model}/1`, { maxBatchRows: 32 });
    loaded.push(result);
    return result;
  }

  it('runs a tiny model (iris) on the event loop and a CNN (digits) in the workers', async () => {
    const on = hybrid(BETWEEN_IRIS_AND_DIGITS_US);
    const iris = await load(on, 'iris');
    const digits = await load(on, 'digits');
    expect(iris.placement).toMatch(/^on the event loop \(a batch of 32 took \d+ µs in a worker\)$/);
    expect(iris.parallelism ?? 1).toBe(1);
    expect(digits.placement).toBe('in 1 worker thread');
  });

  it('counts the runtime it has started, in the workers and on the event loop, from its first model on', async () => {
    const on = hybrid(BETWEEN_IRIS_AND_DIGITS_US);
    expect(on.runtimeBytes()).toBe(0);
    await load(on, 'iris');
    expect(on.runtimeBytes()).toBe(RUNTIME_BYTES_PER_WORKER + RUNTIME_BYTES_ON_EVENT_LOOP);
  });

  it('keeps every model in the workers when INLINE_INFERENCE_MAX_US is 0', async () => {
    const iris = await load(hybrid(0), 'iris');
    expect(iris.placement).toBe('in 1 worker thread');
    expect(engine!.runtimeBytes()).toBe(RUNTIME_BYTES_PER_WORKER);
  });

  it('answers the same wherever the model runs', async () => {
    const inline = await load(hybrid(BETWEEN_IRIS_AND_DIGITS_US), 'iris');
    const input = Float32Array.from([5.1, 3.5, 1.4, 0.2, 6.7, 3.0, 5.2, 2.3]);
    const feeds = () => ({ [inline.inputs[0].name]: { type: 'float32' as const, dims: [2, 4], data: input.slice() } });
    const onLoop = await inline.run(feeds());
    const pooled = await load(hybrid(0), 'iris');
    const inWorker = await pooled.run(feeds());
    const plain = (outputs: typeof onLoop) =>
      Object.fromEntries(Object.entries(outputs).map(([name, tensor]) => [name, { probabilities: Array.from(tensor.data as Float32Array), dims: tensor.dims }]));
    expect(plain(onLoop)).toMatchModelOutput(plain(inWorker));
  });

  it('places the same bytes loaded again (after an unload) without trying them in the workers again', async () => {
    const workers = new CountingWorkerPool(SETTINGS, 1);
    engine = new HybridEngine(workers, new OnnxRuntimeEngine(SETTINGS), 250);
    const hints = { maxBatchRows: 32, sha256: 'a'.repeat(64) };
    const first = await engine.load(bytesOf('iris'), 'iris/1', hints);
    await first.release();
    const again = await engine.load(bytesOf('iris'), 'iris/1', hints);
    loaded.push(again);
    expect(workers.loads).toBe(1);
    expect(again.placement).toMatch(/^on the event loop \(a batch of 32 took \d+ µs in a worker, when first loaded\)$/);
    // Other rows per batch are another trial: a batch of 1 is not a batch of 32.
    loaded.push(await engine.load(bytesOf('iris'), 'iris/1', { ...hints, maxBatchRows: 1 }));
    expect(workers.loads).toBe(2);
  });

  it('keeps a model that was too slow for the event loop in the workers when it is loaded again', async () => {
    engine = hybrid(1);
    const hints = { maxBatchRows: 32, sha256: 'b'.repeat(64) };
    const first = await engine.load(bytesOf('digits'), 'digits/1', hints);
    expect(first.placement).toBe('in 1 worker thread');
    await first.release();
    const again = await engine.load(bytesOf('digits'), 'digits/1', hints);
    loaded.push(again);
    expect(again.placement).toBe('in 1 worker thread');
  });

  it('still refuses bytes that are not a model, from the workers', async () => {
    await expect(hybrid(BETWEEN_IRIS_AND_DIGITS_US).load(new Uint8Array([1, 2, 3]), 'junk/1')).rejects.toThrow(/could not load junk\/1/);
  });
});
