import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Logger } from '@nestjs/common';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { InferenceEngine, LoadedModel } from '../inference/engine-contracts';
import { mapModelStatus } from '../model-summary/model-summary.mapper';
import { DEFAULT_REGISTRY_OPTIONS, ModelRegistry, type RegistryOptions } from './model-registry.service';
import { ModelStore } from './model-store';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** Compiles any bytes (recording them) into a model that echoes its [N, 2] input; `gate` holds compiles until opened. */
class FakeEngine implements InferenceEngine {
  compiled: string[] = [];
  released = 0;
  gate: Promise<void> | undefined;
  async load(bytes: Uint8Array): Promise<LoadedModel> {
    this.compiled.push(Buffer.from(bytes).toString());
    await this.gate;
    return {
      inputs: [{ name: 'x', type: 'float32', dims: [null, 2] }],
      outputs: [{ name: 'y', type: 'float32', dims: [null, 2] }],
      run: async (feeds) => ({ y: feeds.x }),
      release: async () => {
        this.released++;
      },
    };
  }
}

describe('model.onnx checked against the sha256 config.json declares', () => {
  let root: string;
  let engine: FakeEngine;
  let registry: ModelRegistry;

  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'registry-digest-'));
    engine = new FakeEngine();
    vi.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
  });
  afterEach(async () => {
    await registry?.onApplicationShutdown();
    await rm(root, { recursive: true, force: true });
    vi.restoreAllMocks();
  });

  async function write(model: string, version: string, content: string): Promise<void> {
    await mkdir(path.join(root, model, version), { recursive: true });
    await writeFile(path.join(root, model, version, 'model.onnx'), content);
  }

  async function declare(model: string, config: object): Promise<void> {
    await writeFile(path.join(root, model, 'config.json'), JSON.stringify(config));
  }

  async function start(options: Partial<RegistryOptions> = {}, store = new ModelStore(root)): Promise<ModelRegistry> {
    registry = new ModelRegistry(store, engine, { ...DEFAULT_REGISTRY_OPTIONS, ...options });
    registry.onApplicationBootstrap();
    await registry.whenLoaded();
    return registry;
  }

  const versionOf = (name: string, version: number) => registry.get(name).versions.find((v) => v.version === version);
  const mismatch = (version: number, actual: string, declared: string, file = 'm/config.json') =>
    `m/${version}/model.onnx sha256 is ${sha256(actual)}, but ${file} declares ${sha256(declared)} for version ${version}`;

  it('serves a version whose bytes match, and fails one that does not before compiling it, naming both digests', async () => {
    await write('m', '1', 'one');
    await write('m', '2', 'two');
    await write('m', '3', 'three');
    // Upper case is how some tools print digests: compared case-insensitively, shown lower case.
    await declare('m', { default_version: 1, versions: { '1': { sha256: sha256('one').toUpperCase() }, '2': { sha256: sha256('not two') } } });
    await start();
    expect(registry.resolve('m', { kind: 'number', version: 1 }).sha256).toBe(sha256('one'));
    expect(versionOf('m', 2)).toMatchObject({ state: 'FAILED', reason: mismatch(2, 'two', 'not two') });
    // Versions load at once: the order they are compiled in is not theirs.
    expect([...engine.compiled].sort()).toEqual(['one', 'three']);
    expect(() => registry.resolve('m', { kind: 'number', version: 2 })).toThrow(`version 2 is FAILED (${mismatch(2, 'two', 'not two')})`);
    expect(mapModelStatus(registry.get('m')).versions).toEqual([
      { version: 1, state: 'READY', sha256: sha256('one'), declared_sha256: sha256('one') },
      { version: 2, state: 'FAILED', reason: mismatch(2, 'two', 'not two'), declared_sha256: sha256('not two') },
      { version: 3, state: 'READY', sha256: sha256('three') },
    ]);
    expect(registry.isReady()).toBe(true);
  });

  it('names MODEL_CONFIG_DIR/<name>.json when the declaration comes from there', async () => {
    const configDir = await mkdtemp(path.join(tmpdir(), 'model-config-'));
    try {
      await write('m', '1', 'one');
      await writeFile(path.join(configDir, 'm.json'), JSON.stringify({ versions: { '1': { sha256: sha256('other') } } }));
      await start({}, new ModelStore(root, configDir));
      expect(versionOf('m', 1)?.reason).toBe(mismatch(1, 'one', 'other', 'MODEL_CONFIG_DIR/m.json'));
    } finally {
      await rm(configDir, { recursive: true, force: true });
    }
  });

  it('keeps the previous session serving when a replaced model.onnx does not match, and says the reload failed', async () => {
    await write('m', '1', 'one');
    await declare('m', { versions: { '1': { sha256: sha256('one') } } });
    await start();
    const before = registry.resolve('m', { kind: 'default' });
    await write('m', '1', 'tampered');
    await registry.rescan();
    expect(registry.resolve('m', { kind: 'default' })).toBe(before);
    expect(versionOf('m', 1)).toMatchObject({
      state: 'READY',
      reason: `reload failed, still serving the previous files: ${mismatch(1, 'tampered', 'one')}`,
    });
    expect(engine.compiled).toEqual(['one']);
  });

  it('stops serving a READY version when config.json declares another digest, after its in-flight requests', async () => {
    await write('m', '1', 'one');
    await write('m', '2', 'two');
    await declare('m', { default_version: 2 });
    await start();
    const inFlight = registry.resolve('m', { kind: 'default' });
    inFlight.enter();
    await declare('m', { default_version: 2, versions: { '2': { sha256: sha256('expected two') } } });
    await registry.rescan();
    expect(versionOf('m', 2)).toMatchObject({ state: 'FAILED', reason: mismatch(2, 'two', 'expected two') });
    expect(() => registry.resolve('m', { kind: 'default' })).toThrow(`default version is FAILED (${mismatch(2, 'two', 'expected two')})`);
    expect(registry.resolve('m', { kind: 'number', version: 1 }).version).toBe(1);
    expect(engine.released).toBe(0);
    inFlight.leave();
    await vi.waitFor(() => expect(engine.released).toBe(1));
    // Its files did not change: the watcher does not try them again against the same declaration.
    await registry.rescan();
    expect(engine.compiled.sort()).toEqual(['one', 'two']);
  });

  it('loads a version refused by its digest again on the next poll once the declaration matches, without waiting for the files to settle', async () => {
    await write('m', '1', 'one');
    await declare('m', { versions: { '1': { sha256: sha256('other') } } });
    await start({ pollIntervalMs: 20, settleMs: 60_000 });
    expect(versionOf('m', 1)?.state).toBe('FAILED');
    await declare('m', { versions: { '1': { sha256: sha256('one') } } });
    await vi.waitFor(() => expect(versionOf('m', 1)).toMatchObject({ state: 'READY', reason: undefined }), { timeout: 5000 });
    expect(mapModelStatus(registry.get('m')).versions[0]).toMatchObject({ sha256: sha256('one'), declared_sha256: sha256('one') });
  });

  it('serves a version retired by a wrong declaration again once the declaration is fixed', async () => {
    await write('m', '1', 'one');
    await start();
    await declare('m', { versions: { '1': { sha256: sha256('typo') } } });
    await registry.rescan();
    expect(versionOf('m', 1)?.state).toBe('FAILED');
    await declare('m', {});
    await registry.rescan();
    expect(registry.resolve('m', { kind: 'default' }).sha256).toBe(sha256('one'));
  });

  it('swaps in a replaced model.onnx refused by the old declaration once config.json declares its digest', async () => {
    await write('m', '1', 'one');
    await declare('m', { versions: { '1': { sha256: sha256('one') } } });
    await start();
    await write('m', '1', 'retrained');
    await registry.rescan();
    expect(registry.resolve('m', { kind: 'default' }).sha256).toBe(sha256('one'));
    await declare('m', { versions: { '1': { sha256: sha256('retrained') } } });
    await registry.rescan();
    expect(registry.resolve('m', { kind: 'default' }).sha256).toBe(sha256('retrained'));
    expect(versionOf('m', 1)?.reason).toBeUndefined();
  });

  it('checks a load against the declaration in force when it ends, not only when it began', async () => {
    await write('m', '1', 'one');
    await start({ pollIntervalMs: 20, settleMs: 0 });
    let open!: () => void;
    engine.gate = new Promise((resolve) => (open = resolve));
    await declare('m', { versions: { '2': { sha256: sha256('two') } } });
    await write('m', '2', 'two');
    await vi.waitFor(() => expect(engine.compiled).toContain('two'), { timeout: 5000 });
    // Declared anew while version 2 compiles: the bytes it began with are not the ones declared now.
    await declare('m', { versions: { '2': { sha256: sha256('two, signed off') } } });
    await vi.waitFor(() => expect(mapModelStatus(registry.get('m')).versions[1]?.declared_sha256).toBe(sha256('two, signed off')), { timeout: 5000 });
    open();
    await vi.waitFor(() => expect(versionOf('m', 2)).toMatchObject({ state: 'FAILED', reason: mismatch(2, 'two', 'two, signed off') }), { timeout: 5000 });
    expect(registry.resolve('m', { kind: 'default' }).version).toBe(1);
    await vi.waitFor(() => expect(engine.released).toBe(1));
  });

  it('loads again a version refused against a declaration that changed while its files were read', async () => {
    let open!: () => void;
    const reading = new Promise<void>((resolve) => (open = resolve));
    /** Holds reading version 2 until opened, so that config.json can change in between. */
    class SlowStore extends ModelStore {
      override async readVersion(name: string, version: number) {
        if (version === 2) await reading;
        return super.readVersion(name, version);
      }
    }
    await write('m', '1', 'one');
    await start({ pollIntervalMs: 20, settleMs: 0 }, new SlowStore(root));
    await declare('m', { versions: { '2': { sha256: sha256('an older two') } } });
    await write('m', '2', 'two');
    await vi.waitFor(() => expect(versionOf('m', 2)?.state).toBe('LOADING'), { timeout: 5000 });
    await declare('m', { versions: { '2': { sha256: sha256('two') } } });
    await vi.waitFor(() => expect(mapModelStatus(registry.get('m')).versions[1]?.declared_sha256).toBe(sha256('two')), { timeout: 5000 });
    open();
    await vi.waitFor(() => expect(versionOf('m', 2)).toMatchObject({ state: 'READY', reason: undefined }), { timeout: 5000 });
  });

  it('applies the check on the admin API reload and load', async () => {
    await write('m', '1', 'one');
    await declare('m', { versions: { '1': { sha256: sha256('one') }, '2': { sha256: sha256('two') } } });
    await start();
    const before = registry.resolve('m', { kind: 'default' });
    await write('m', '1', 'one, replaced');
    await registry.reloadModel('m');
    expect(registry.resolve('m', { kind: 'default' })).toBe(before);
    expect(versionOf('m', 1)?.reason).toBe(`reload failed, still serving the previous files: ${mismatch(1, 'one, replaced', 'one')}`);

    await write('m', '2', 'two, replaced');
    await registry.loadNow('m', 2);
    expect(versionOf('m', 2)).toMatchObject({ state: 'FAILED', reason: mismatch(2, 'two, replaced', 'two') });
    expect(engine.compiled).toEqual(['one']);
  });

  it('takes the pod out of readiness for a required model whose only version is refused, and never for another', async () => {
    await write('m', '1', 'one');
    await declare('m', { versions: { '1': { sha256: sha256('other') } } });
    await write('good', '1', 'good');
    await write('extra', '1', 'extra');
    await declare('extra', { versions: { '1': { sha256: sha256('other') } } });
    await start({ requiredModels: ['m', 'good'] });
    expect(registry.notReadyBecause()).toEqual({
      message: `required model cannot serve: "m": no version is READY: version 1 is FAILED (${mismatch(1, 'one', 'other')})`,
      models: { m: `no version is READY: version 1 is FAILED (${mismatch(1, 'one', 'other')})` },
    });
    await registry.onApplicationShutdown();

    engine = new FakeEngine();
    await start();
    expect(registry.isRequired('m')).toBe(false);
    expect(registry.isReady()).toBe(true);
  });
});
