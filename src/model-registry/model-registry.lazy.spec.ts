import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Logger } from '@nestjs/common';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { InferenceEngine, LoadedModel } from '../inference/engine-contracts';
import { DEFAULT_REGISTRY_OPTIONS, ModelRegistry, type RegistryOptions } from './model-registry.service';
import { LOADED_VERSION_OVERHEAD_BYTES, SCRAPE_BYTES_PER_SERIES, SERIES_PER_LOADED_VERSION } from './memory-budget';
import type { LoadOutcome, LoadTrigger } from './model-loads';
import { ModelStore } from './model-store';
import type { ReadyVersion } from './model-version';

/**
 * What the budget counts for one of these test versions: its engine's estimate (100), the per-version
 * overhead, and its share of a scrape (no manifest, so no drift series).
 */
const VERSION_BYTES = 100 + LOADED_VERSION_OVERHEAD_BYTES + SCRAPE_BYTES_PER_SERIES * SERIES_PER_LOADED_VERSION;

/**
 * Loads "ok <bytes>" files as a model of that estimated size and fails on "corrupt"; counts every load
 * per version, and holds the loads of the versions in `held` until `finish` lets them go.
 */
class GatedEngine implements InferenceEngine {
  readonly loads = new Map<string, number>();
  released: string[] = [];
  /** What the engine itself says it holds (InferenceEngine.runtimeBytes). */
  runtime = 0;

  runtimeBytes(): number {
    return this.runtime;
  }
  private readonly held = new Map<string, { gate: Promise<void>; open: () => void }>();

  hold(label: string): void {
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    this.held.set(label, { gate, open });
  }

  finish(label: string): void {
    this.held.get(label)?.open();
    this.held.delete(label);
  }

  loadsOf(label: string): number {
    return this.loads.get(label) ?? 0;
  }

  async load(bytes: Uint8Array, label: string): Promise<LoadedModel> {
    this.loads.set(label, this.loadsOf(label) + 1);
    await this.held.get(label)?.gate;
    const text = Buffer.from(bytes).toString();
    if (text === 'corrupt') throw new Error(`cannot parse ${label}`);
    const engine = this;
    return {
      inputs: [{ name: 'x', type: 'float32', dims: [null, 2] }],
      outputs: [{ name: 'y', type: 'float32', dims: [null, 2] }],
      residentBytes: Number(text.split(' ')[1] ?? 0),
      async run(feeds) {
        return { y: feeds.x };
      },
      async release() {
        engine.released.push(label);
      },
    };
  }
}

describe('ModelRegistry with MODEL_LOADING=lazy', () => {
  let root: string;
  let engine: GatedEngine;
  let loadsSeen: { trigger: LoadTrigger; outcome: LoadOutcome }[];
  let evictions: number;

  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'lazy-registry-'));
    engine = new GatedEngine();
    loadsSeen = [];
    evictions = 0;
  });
  afterEach(async () => rm(root, { recursive: true, force: true }));

  async function addVersion(model: string, version: number, content = 'ok 100'): Promise<void> {
    const dir = path.join(root, model, String(version));
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'model.onnx'), content);
  }

  async function lazyRegistry(options: Partial<RegistryOptions['loading']> = {}, requiredModels: string[] = []): Promise<ModelRegistry> {
    const registry = new ModelRegistry(new ModelStore(root), engine, {
      ...DEFAULT_REGISTRY_OPTIONS,
      requiredModels,
      loading: { mode: 'lazy', waitMs: 10_000, budgetBytes: 0, ...options },
      loadObserver: { onLoad: (trigger, outcome) => loadsSeen.push({ trigger, outcome }), onEviction: () => evictions++ },
    });
    await registry.whenLoaded();
    return registry;
  }

  const states = (registry: ModelRegistry, name: string) => registry.get(name).versions.map((v) => `${v.version}:${v.state}`);
  const acquire = (registry: ModelRegistry, name: string, version?: number, deadline?: number) =>
    registry.acquire(name, version === undefined ? { kind: 'default' } : { kind: 'number', version }, deadline);

  it('loads the required models at start and lists every other version AVAILABLE, unloaded, and is ready', async () => {
    await addVersion('required', 1);
    await addVersion('cold', 1);
    await addVersion('cold', 2);
    const registry = await lazyRegistry({}, ['required']);
    expect(states(registry, 'required')).toEqual(['1:READY']);
    expect(states(registry, 'cold')).toEqual(['1:AVAILABLE', '2:AVAILABLE']);
    expect([...engine.loads.keys()]).toEqual(['required/1']);
    expect(loadsSeen).toEqual([{ trigger: 'start', outcome: 'ready' }]);
    expect(registry.isReady()).toBe(true);
    // Model readiness never loads: an AVAILABLE version is not ready until a request has loaded it.
    expect(() => registry.resolve('cold', { kind: 'number', version: 2 })).toThrow('model "cold": version 2 is AVAILABLE');
    expect(engine.loadsOf('cold/2')).toBe(0);
  });

  it('is ready once the repository is read when REQUIRED_MODELS is empty, with nothing loaded', async () => {
    await addVersion('a', 1);
    const registry = await lazyRegistry();
    expect(registry.isReady()).toBe(true);
    expect(registry.isRequired('a')).toBe(false);
    expect(engine.loads.size).toBe(0);
  });

  it('loads a version on its first request, and serves the next ones without waiting (no promise)', async () => {
    await addVersion('a', 1);
    const registry = await lazyRegistry();
    const first = acquire(registry, 'a');
    expect(first).toBeInstanceOf(Promise);
    expect((await first).version).toBe(1);
    expect(states(registry, 'a')).toEqual(['1:READY']);
    const second = acquire(registry, 'a');
    expect(second).not.toBeInstanceOf(Promise);
    expect((second as ReadyVersion).version).toBe(1);
    expect(engine.loadsOf('a/1')).toBe(1);
    expect(loadsSeen).toEqual([{ trigger: 'request', outcome: 'ready' }]);
  });

  it('shares one load among concurrent first requests for a version', async () => {
    await addVersion('a', 1);
    const registry = await lazyRegistry();
    engine.hold('a/1');
    const waiting = [acquire(registry, 'a'), acquire(registry, 'a', 1), acquire(registry, 'a')];
    expect(states(registry, 'a')).toEqual(['1:LOADING']);
    engine.finish('a/1');
    const served = await Promise.all(waiting);
    expect(engine.loadsOf('a/1')).toBe(1);
    expect(new Set(served).size).toBe(1);
  });

  it('tells a request that waited its bound to retry (MODEL_LOADING), goes on loading, and serves a later request', async () => {
    await addVersion('a', 1);
    const registry = await lazyRegistry({ waitMs: 20 });
    engine.hold('a/1');
    await expect(acquire(registry, 'a')).rejects.toMatchObject({
      code: 'MODEL_LOADING',
      message: 'model "a": version 1 is LOADING on demand and was not ready within 20 ms; retry shortly',
    });
    // A deadline already passed stops the wait at once, whatever MODEL_LOAD_WAIT_MS allows.
    await expect(acquire(registry, 'a', 1, Date.now() - 1)).rejects.toMatchObject({ code: 'MODEL_LOADING' });
    expect(states(registry, 'a')).toEqual(['1:LOADING']);
    engine.finish('a/1');
    await registry.whenIdle();
    expect(states(registry, 'a')).toEqual(['1:READY']);
    expect((acquire(registry, 'a') as ReadyVersion).version).toBe(1);
    expect(engine.loadsOf('a/1')).toBe(1);
  });

  it('answers a failed load as a FAILED version, without loading it again per request, until its files change', async () => {
    await addVersion('a', 1, 'corrupt');
    const registry = await lazyRegistry();
    await expect(acquire(registry, 'a', 1)).rejects.toMatchObject({
      code: 'VERSION_NOT_AVAILABLE',
      message: 'model "a": version 1 is FAILED (cannot parse a/1); available versions: none',
    });
    // Now known FAILED: refused at once, as eager mode refuses a FAILED version.
    expect(() => acquire(registry, 'a', 1)).toThrow(expect.objectContaining({ code: 'VERSION_NOT_AVAILABLE' }));
    expect(engine.loadsOf('a/1')).toBe(1);
    expect(loadsSeen).toEqual([{ trigger: 'request', outcome: 'failed' }]);
    await addVersion('a', 1, 'ok 100 fixed');
    await registry.rescan();
    expect(states(registry, 'a')).toEqual(['1:AVAILABLE']);
    expect((await acquire(registry, 'a', 1)).version).toBe(1);
    expect(engine.loadsOf('a/1')).toBe(2);
  });

  it('defaults to the highest version not FAILED, and moves on to the next when the default fails to load', async () => {
    await addVersion('a', 1);
    await addVersion('a', 2);
    await addVersion('a', 3, 'corrupt');
    const registry = await lazyRegistry();
    expect(registry.defaultVersion(registry.get('a'))).toBe(3);
    expect((await acquire(registry, 'a')).version).toBe(2);
    expect(states(registry, 'a')).toEqual(['1:AVAILABLE', '2:READY', '3:FAILED']);
    expect(registry.defaultVersion(registry.get('a'))).toBe(2);
    expect(engine.loadsOf('a/1')).toBe(0);
  });

  it('keeps a configured default version, loading it on demand', async () => {
    await addVersion('a', 1);
    await addVersion('a', 2);
    await writeFile(path.join(root, 'a', 'config.json'), JSON.stringify({ default_version: 1 }));
    const registry = await lazyRegistry();
    expect((await acquire(registry, 'a')).version).toBe(1);
    expect(engine.loadsOf('a/2')).toBe(0);
  });

  it('unloads the least recently used version past the budget, back to AVAILABLE, and reloads it on its next request', async () => {
    for (const name of ['a', 'b', 'c']) await addVersion(name, 1);
    const registry = await lazyRegistry({ budgetBytes: 2.5 * VERSION_BYTES });
    await acquire(registry, 'a');
    await acquire(registry, 'b');
    acquire(registry, 'a'); // a is now used more recently than b
    await acquire(registry, 'c');
    expect([states(registry, 'a'), states(registry, 'b'), states(registry, 'c')]).toEqual([['1:READY'], ['1:AVAILABLE'], ['1:READY']]);
    expect(evictions).toBe(1);
    await registry.whenIdle();
    await vi.waitFor(() => expect(engine.released).toEqual(['b/1']));
    expect(registry.memoryUse()).toEqual({ loadedVersions: 2, estimatedBytes: 2 * VERSION_BYTES, budgetBytes: 2.5 * VERSION_BYTES, overBudget: false });

    expect((await acquire(registry, 'b')).version).toBe(1);
    expect(engine.loadsOf('b/1')).toBe(2);
    expect(states(registry, 'a')).toEqual(['1:AVAILABLE']);
  });

  it("counts the engine's own memory against the budget: fewer versions stay loaded", async () => {
    for (const name of ['a', 'b', 'c']) await addVersion(name, 1);
    engine.runtime = VERSION_BYTES;
    const registry = await lazyRegistry({ budgetBytes: 2.5 * VERSION_BYTES });
    await acquire(registry, 'a');
    await acquire(registry, 'b');
    expect([states(registry, 'a'), states(registry, 'b')]).toEqual([['1:AVAILABLE'], ['1:READY']]);
    expect(registry.memoryUse()).toEqual({ loadedVersions: 1, estimatedBytes: 2 * VERSION_BYTES, budgetBytes: 2.5 * VERSION_BYTES, overBudget: false });
  });

  it('never unloads a version with a request in flight: stays over budget, says so once, and unloads it after', async () => {
    for (const name of ['a', 'b', 'c']) await addVersion(name, 1);
    const registry = await lazyRegistry({ budgetBytes: 1.5 * VERSION_BYTES });
    const warn = vi.spyOn(Logger.prototype, 'warn');
    const held = await acquire(registry, 'a');
    held.enter();
    await acquire(registry, 'b');
    expect(states(registry, 'a')).toEqual(['1:READY']);
    expect(registry.memoryUse()).toMatchObject({ loadedVersions: 2, overBudget: true });
    const overBudget = warn.mock.calls.filter(([message]) => String(message).includes('over this process'));
    expect(overBudget).toHaveLength(1);
    // The request in flight still runs on its version.
    expect(await held.model.run({ x: { type: 'float32', dims: [1, 2], data: new Float32Array([1, 2]) } })).toHaveProperty('y');
    held.leave();
    await acquire(registry, 'c');
    expect([states(registry, 'a'), states(registry, 'b'), states(registry, 'c')]).toEqual([['1:AVAILABLE'], ['1:AVAILABLE'], ['1:READY']]);
    expect(registry.memoryUse()).toMatchObject({ loadedVersions: 1, overBudget: false });
    warn.mockRestore();
  });

  it('never unloads the default version of a required model; its other versions go, and load again on request', async () => {
    await addVersion('required', 1);
    await addVersion('required', 2);
    await addVersion('cold', 1);
    const registry = await lazyRegistry({ budgetBytes: 2.5 * VERSION_BYTES }, ['required']);
    expect(states(registry, 'required')).toEqual(['1:READY', '2:READY']);
    await acquire(registry, 'cold');
    expect(states(registry, 'required')).toEqual(['1:AVAILABLE', '2:READY']);
    expect(states(registry, 'cold')).toEqual(['1:READY']);
    expect(registry.isReady()).toBe(true);

    expect((await acquire(registry, 'required', 1)).version).toBe(1);
    expect(states(registry, 'cold')).toEqual(['1:AVAILABLE']);
    expect(states(registry, 'required')).toEqual(['1:READY', '2:READY']);
    expect(engine.loadsOf('required/1')).toBe(2);
  });

  it('lets the admin API unload the last READY version of a model loaded on demand, which serves on with the others', async () => {
    await addVersion('a', 1);
    await addVersion('a', 2);
    const registry = await lazyRegistry();
    await acquire(registry, 'a');
    expect((await registry.unload('a', 2)).state).toBe('UNAVAILABLE');
    expect(registry.defaultVersion(registry.get('a'))).toBe(1);
    expect((await acquire(registry, 'a')).version).toBe(1);
  });

  it('in eager mode loads every version at start and never lists one AVAILABLE', async () => {
    await addVersion('a', 1);
    await addVersion('a', 2);
    const registry = new ModelRegistry(new ModelStore(root), engine, DEFAULT_REGISTRY_OPTIONS);
    await registry.whenLoaded();
    expect(states(registry, 'a')).toEqual(['1:READY', '2:READY']);
    expect((acquire(registry, 'a') as ReadyVersion).version).toBe(2);
  });
});
