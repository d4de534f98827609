import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HybridEngine } from './hybrid-engine';
import type { LoadedModel } from './engine-contracts';
import { WorkerPoolEngine } from './worker-pool';
import { OnnxRuntimeEngine } from './onnx-runtime.adapter';

const MODELS = path.resolve(__dirname, '../../models');
const SETTINGS = { intraOpThreads: 1, interOpThreads: 1 };

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
    const on = hybrid(250);
    const iris = await load(on, 'iris');
    const digits = await load(on, 'digits');
    expect(iris.placement).toMatch(/^on the event loop \(a batch of 32 took \d+ µs in a worker\)$/);
    expect(iris.parallelism ?? 1).toBe(1);
    expect(digits.placement).toBe('in 1 worker thread');
  });

  it('keeps every model in the workers when INLINE_INFERENCE_MAX_US is 0', async () => {
    const iris = await load(hybrid(0), 'iris');
    expect(iris.placement).toBe('in 1 worker thread');
  });

  it('answers the same wherever the model runs', async () => {
    const inline = await load(hybrid(250), 'iris');
    const input = Float32Array.from([5.1, 3.5, 1.4, 0.2, 6.7, 3.0, 5.2, 2.3]);
    const feeds = () => ({ [inline.inputs[0].name]: { type: 'float32' as const, dims: [2, 4], data: input.slice() } });
    const onLoop = await inline.run(feeds());
    const pooled = await load(hybrid(0), 'iris');
    const inWorker = await pooled.run(feeds());
    const plain = (outputs: typeof onLoop) =>
      Object.fromEntries(Object.entries(outputs).map(([name, tensor]) => [name, { probabilities: Array.from(tensor.data as Float32Array), dims: tensor.dims }]));
    expect(plain(onLoop)).toMatchModelOutput(plain(inWorker));
  });

  it('still refuses bytes that are not a model, from the workers', async () => {
    await expect(hybrid(250).load(new Uint8Array([1, 2, 3]), 'junk/1')).rejects.toThrow(/could not load junk\/1/);
  });
});
