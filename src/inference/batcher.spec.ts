import { describe, expect, it } from 'vitest';
import { BatchingModel, type BatchSettings } from './batcher';
import type { BatchedRun, BatchObserver, LoadedModel } from './engine-contracts';
import type { TensorMap } from './tensors';

/**
 * A model computing, per row, the sum of its values (output "sum" [N]) and
 * the row doubled (output "double" [N, W]); runs wait for `release()` so
 * the test decides when the sessions are busy.
 */
class GatedModel implements LoadedModel {
  readonly inputs = [{ name: 'x', type: 'float32' as const, dims: [null, null] }];
  readonly outputs = [
    { name: 'sum', type: 'float32' as const, dims: [null] },
    { name: 'double', type: 'float32' as const, dims: [null, null] },
  ];
  readonly batches: number[] = [];
  private gates: Array<() => void> = [];

  constructor(readonly parallelism = 1) {}

  async run(feeds: TensorMap): Promise<TensorMap> {
    const x = feeds.x;
    const [rows, width] = x.dims;
    this.batches.push(rows);
    await new Promise<void>((resolve) => this.gates.push(resolve));
    const data = x.data as Float32Array;
    const sum = new Float32Array(rows);
    const double = new Float32Array(rows * width);
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < width; c++) {
        sum[r] += data[r * width + c];
        double[r * width + c] = 2 * data[r * width + c];
      }
    }
    return { sum: { type: 'float32', dims: [rows], data: sum }, double: { type: 'float32', dims: [rows, width], data: double } };
  }

  /** Lets every waiting run finish; returns how many were released. */
  release(): Promise<void> {
    const gates = this.gates;
    this.gates = [];
    gates.forEach((open) => open());
    return Promise.resolve();
  }

  get waiting(): number {
    return this.gates.length;
  }
}

class RecordingObserver implements BatchObserver {
  batches: number[] = [];
  depths: number[] = [];
  onBatch(rows: number): void {
    this.batches.push(rows);
  }
  onQueueDepth(depth: number): void {
    this.depths.push(depth);
  }
}

const SETTINGS: BatchSettings = { enabled: true, maxBatchSize: 8, maxQueueDelayUs: 0, maxQueueSize: 100 };
const rows = (...values: number[][]): TensorMap => ({
  x: { type: 'float32', dims: [values.length, values[0].length], data: Float32Array.from(values.flat()) },
});
const tick = () => new Promise((resolve) => setImmediate(resolve));

async function drain(model: GatedModel, until: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !until(); i++) {
    await tick();
    await model.release();
  }
}

describe('BatchingModel', () => {
  it('merges requests queued while the session is busy and gives each caller exactly its rows', async () => {
    const inner = new GatedModel();
    const observer = new RecordingObserver();
    const batcher = new BatchingModel(inner, SETTINGS, observer, 'm/1');
    const first = batcher.run(rows([1, 1]));
    await tick();
    expect(inner.waiting).toBe(1);
    const inputs = [[[1, 2]], [[3, 4], [5, 6]], [[7, 8]]];
    const later = inputs.map((values) => batcher.run(rows(...values)));
    let done = false;
    const all = Promise.all([first, ...later]).then((results) => ((done = true), results));
    await drain(inner, () => done);
    const [, ...results] = await all;
    expect(inner.batches).toEqual([1, 4]);
    expect(observer.batches).toEqual([1, 4]);
    results.forEach((outputs, i) => {
      expect(outputs.sum.dims).toEqual([inputs[i].length]);
      expect(Array.from(outputs.sum.data as Float32Array)).toEqual(inputs[i].map((row) => row[0] + row[1]));
      expect(Array.from(outputs.double.data as Float32Array)).toEqual(inputs[i].flat().map((v) => 2 * v));
    });
  });

  it('never merges requests of different shapes or output selections', async () => {
    const inner = new GatedModel();
    const batcher = new BatchingModel(inner, SETTINGS, new RecordingObserver(), 'm/1');
    const blocker = batcher.run(rows([0, 0]));
    await tick();
    const narrow = batcher.run(rows([1, 2]));
    const wide = batcher.run(rows([1, 2, 3]));
    const narrow2 = batcher.run(rows([3, 4]));
    let done = false;
    const all = Promise.all([blocker, narrow, wide, narrow2]).then(() => (done = true));
    await drain(inner, () => done);
    await all;
    expect(inner.batches).toEqual([1, 2, 1]);
    expect(Array.from((await wide).sum.data as Float32Array)).toEqual([6]);
  });

  it('respects the maximum batch size', async () => {
    const inner = new GatedModel();
    const batcher = new BatchingModel(inner, { ...SETTINGS, maxBatchSize: 3 }, new RecordingObserver(), 'm/1');
    const blocker = batcher.run(rows([0, 0]));
    await tick();
    const rest = Array.from({ length: 7 }, (_, i) => batcher.run(rows([i, i])));
    let done = false;
    const all = Promise.all([blocker, ...rest]).then(() => (done = true));
    await drain(inner, () => done);
    await all;
    expect(inner.batches).toEqual([1, 3, 3, 1]);
  });

  it('runs one request per inference when batching is off or the model has no dynamic batch dimension', async () => {
    for (const [settings, model] of [
      [{ ...SETTINGS, enabled: false }, new GatedModel()],
      [SETTINGS, Object.assign(new GatedModel(), { inputs: [{ name: 'x', type: 'float32' as const, dims: [1, 2] }] })],
    ] as const) {
      const batcher = new BatchingModel(model, settings, new RecordingObserver(), 'm/1');
      expect(batcher.mergeable).toBe(false);
      const runs = [batcher.run(rows([1, 2])), batcher.run(rows([3, 4])), batcher.run(rows([5, 6]))];
      let done = false;
      const all = Promise.all(runs).then(() => (done = true));
      await drain(model, () => done);
      await all;
      expect(model.batches).toEqual([1, 1, 1]);
    }
  });

  it('refuses at once, as overloaded, when the queue is full', async () => {
    const inner = new GatedModel();
    const batcher = new BatchingModel(inner, { ...SETTINGS, maxQueueSize: 3 }, new RecordingObserver(), 'm/1');
    const accepted = [batcher.run(rows([1, 1])), batcher.run(rows([1, 1], [2, 2]))];
    await expect(batcher.run(rows([3, 3]))).rejects.toMatchObject({ code: 'OVERLOADED', status: 503 });
    let done = false;
    const all = Promise.all(accepted).then(() => (done = true));
    await drain(inner, () => done);
    expect((await accepted[1]).sum.dims).toEqual([2]);
  });

  it('drops queued work whose deadline passed or whose caller went away, and runs the rest', async () => {
    const inner = new GatedModel();
    const batcher = new BatchingModel(inner, SETTINGS, new RecordingObserver(), 'm/1');
    const blocker = batcher.run(rows([0, 0]));
    await tick();
    const expired = batcher.run(rows([1, 1]), undefined, { deadline: Date.now() - 1 });
    let clientGone = false;
    const abandoned = batcher.run(rows([2, 2]), undefined, { cancelled: () => clientGone });
    const kept = batcher.run(rows([3, 3]), undefined, { deadline: Date.now() + 60_000 });
    clientGone = true;
    let done = false;
    const settled = Promise.allSettled([blocker, expired, abandoned, kept]).then((results) => ((done = true), results));
    await drain(inner, () => done);
    const [, expiredResult, abandonedResult, keptResult] = await settled;
    expect(expiredResult).toMatchObject({ status: 'rejected', reason: { message: expect.stringContaining('deadline passed') } });
    expect(abandonedResult).toMatchObject({ status: 'rejected', reason: { message: expect.stringContaining('client went away') } });
    expect(keptResult.status).toBe('fulfilled');
    expect(inner.batches).toEqual([1, 1]);
  });

  it('tells each request its queue wait and the batch it ran in, or why it was dropped', async () => {
    const inner = new GatedModel();
    const batcher = new BatchingModel(inner, SETTINGS, new RecordingObserver(), 'm/1');
    const runsOf = (label: string) => {
      const runs: BatchedRun[] = [];
      return { runs, options: { batched: (run: BatchedRun) => void runs.push(run) } };
    };
    const blocker = runsOf('blocker');
    const first = runsOf('first');
    const second = runsOf('second');
    const expired = runsOf('expired');
    const runs = [batcher.run(rows([0, 0]), undefined, blocker.options)];
    await tick();
    runs.push(batcher.run(rows([1, 1], [1, 1]), undefined, first.options));
    runs.push(batcher.run(rows([2, 2]), undefined, { ...expired.options, deadline: Date.now() - 1 }).catch(() => undefined) as never);
    runs.push(batcher.run(rows([3, 3]), undefined, second.options));
    // A request whose caller does not ask is run all the same.
    runs.push(batcher.run(rows([4, 4])));
    let done = false;
    const all = Promise.all(runs).then(() => (done = true));
    await drain(inner, () => done);
    await all;

    expect(blocker.runs).toMatchObject([{ rows: 1, batchRows: 1, batchRequests: 1 }]);
    expect(first.runs).toMatchObject([{ rows: 2, batchRows: 4, batchRequests: 3, error: undefined }]);
    expect(second.runs).toMatchObject([{ rows: 1, batchRows: 4, batchRequests: 3 }]);
    const [run] = first.runs;
    expect(run.enqueuedAt).toBeLessThanOrEqual(run.startedAt);
    expect(run.startedAt).toBeLessThanOrEqual(run.finishedAt!);
    expect(second.runs[0]).toMatchObject({ startedAt: run.startedAt, finishedAt: run.finishedAt });
    expect(expired.runs).toEqual([expect.objectContaining({ rows: 1, error: expect.stringContaining('deadline passed') })]);
    expect(expired.runs[0].finishedAt).toBeUndefined();
  });

  it('keeps several sessions busy when the model has parallel instances', async () => {
    const inner = new GatedModel(2);
    const batcher = new BatchingModel(inner, SETTINGS, new RecordingObserver(), 'm/1');
    const runs = [batcher.run(rows([1, 1]))];
    await tick();
    runs.push(batcher.run(rows([2, 2])));
    await tick();
    expect(inner.waiting).toBe(2);
    let done = false;
    const all = Promise.all(runs).then(() => (done = true));
    await drain(inner, () => done);
    await all;
  });
});
