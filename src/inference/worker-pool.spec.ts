import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { placementKind } from './engine-contracts';
import { WorkerPoolEngine } from './worker-pool';

const IRIS = readFileSync(path.resolve(__dirname, '../../models/iris/1/model.onnx'));
const SETTINGS = { intraOpThreads: 1, interOpThreads: 1 };

interface PoolInternals {
  workers: Array<{ terminate(): Promise<number>; failure?: Error }>;
  models: Map<number, { bytes: Uint8Array; label: string }>;
}

const internals = (pool: WorkerPoolEngine) => pool as unknown as PoolInternals;
const flower = () => ({ input: { type: 'float32' as const, dims: [1, 4], data: Float32Array.from([5.1, 3.5, 1.4, 0.2]) } });

describe('WorkerPoolEngine when a worker dies', () => {
  let pool: WorkerPoolEngine | undefined;

  afterEach(async () => {
    await pool?.close();
    pool = undefined;
  });

  it('replaces it in place with every session reloaded; later runs answer as before and liveness holds', async () => {
    pool = new WorkerPoolEngine(SETTINGS, 1);
    const model = await pool.load(IRIS, 'iris/1');
    const before = await model.run(flower());
    await internals(pool).workers[0].terminate();
    const after = await model.run(flower());
    const probabilities = (outputs: typeof before) => ({ probabilities: Array.from(outputs.probabilities.data as Float32Array) });
    expect(probabilities(after)).toMatchModelOutput(probabilities(before));
    expect(pool.replacements).toBe(1);
    expect(pool.failure()).toBeUndefined();
  });

  it('retries a run its worker died under on the replacement', async () => {
    pool = new WorkerPoolEngine(SETTINGS, 1);
    const model = await pool.load(IRIS, 'iris/1');
    const feeds = flower();
    const running = model.run(feeds);
    await internals(pool).workers[0].terminate();
    expect((await running).probabilities.dims).toEqual([1, 3]);
    // The inputs were copied to the worker, not moved: still intact for the retry.
    expect(feeds.input.data.length).toBe(4);
  });

  it('fails liveness, and runs with a 503 code, once replacements cannot start', async () => {
    pool = new WorkerPoolEngine(SETTINGS, 1);
    const model = await pool.load(IRIS, 'iris/1');
    // A replacement reloads the sessions from these bytes: make that impossible.
    for (const entry of internals(pool).models.values()) entry.bytes = new Uint8Array([1, 2, 3]);
    await internals(pool).workers[0].terminate();
    await vi.waitFor(() => expect(pool!.failure()).toMatch(/exited with code 1, and 3 replacements failed to start: .*could not load iris\/1/), {
      timeout: 20_000,
    });
    await expect(model.run(flower())).rejects.toMatchObject({ code: 'ENGINE_UNAVAILABLE' });
  });
});

describe('placementKind', () => {
  it('names where a batch ran', () => {
    expect(placementKind('in 2 worker threads')).toBe('worker');
    expect(placementKind('in 1 worker thread')).toBe('worker');
    expect(placementKind('on the event loop (a batch of 32 took 15 µs in a worker)')).toBe('inline');
    expect(placementKind(undefined)).toBe('inline');
  });
});
