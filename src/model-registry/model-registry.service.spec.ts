import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Logger } from '@nestjs/common';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { InferenceEngine, LoadedModel } from '../inference/engine-contracts';
import { DEFAULT_REGISTRY_OPTIONS, ModelRegistry } from './model-registry.service';
import { ModelStore } from './model-store';

/** Loads any bytes except the text "corrupt" or a file cut short; the model echoes a float input of shape [N, 2]. */
class FakeEngine implements InferenceEngine {
  released = 0;
  loadedTexts: string[] = [];
  async load(bytes: Uint8Array, label: string): Promise<LoadedModel> {
    const text = Buffer.from(bytes).toString();
    if (text === 'corrupt') throw new Error(`cannot parse ${label}`);
    if (text.startsWith('partial')) throw new Error(`${label} is truncated`);
    this.loadedTexts.push(text);
    const engine = this;
    return {
      inputs: [{ name: 'x', type: 'float32', dims: [null, 2] }],
      outputs: [{ name: 'y', type: 'float32', dims: [null, 2] }],
      async run(feeds) {
        if (text === 'fails-to-run') throw new Error('kernel exploded');
        return { y: feeds.x };
      },
      async release() {
        engine.released++;
      },
    };
  }
}

describe('ModelRegistry', () => {
  let root: string;
  let engine: FakeEngine;

  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'registry-'));
    engine = new FakeEngine();
  });
  afterEach(async () => rm(root, { recursive: true, force: true }));

  async function addVersion(model: string, version: string, content = 'ok', manifest?: object): Promise<void> {
    const dir = path.join(root, model, version);
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'model.onnx'), content);
    if (manifest) await writeFile(path.join(dir, 'manifest.json'), JSON.stringify(manifest));
  }

  async function loaded(): Promise<ModelRegistry> {
    const registry = new ModelRegistry(new ModelStore(root), engine);
    await registry.whenLoaded();
    return registry;
  }

  it('orders versions numerically, not alphabetically, and defaults to the highest READY one', async () => {
    for (const version of ['2', '10', '9']) await addVersion('m', version);
    const registry = await loaded();
    expect(registry.get('m').versions.map((v) => v.version)).toEqual([2, 9, 10]);
    expect(registry.resolve('m', { kind: 'default' }).version).toBe(10);
  });

  it('uses the configured default version and resolves labels', async () => {
    await addVersion('m', '1');
    await addVersion('m', '2');
    await writeFile(path.join(root, 'm', 'config.json'), JSON.stringify({ default_version: 1, labels: { stable: 1, canary: 2 } }));
    const registry = await loaded();
    expect(registry.resolve('m', { kind: 'default' }).version).toBe(1);
    expect(registry.resolve('m', { kind: 'label', label: 'canary' }).version).toBe(2);
    expect(registry.resolve('m', { kind: 'number', version: 2 }).version).toBe(2);
    expect(() => registry.resolve('m', { kind: 'label', label: 'beta' })).toThrow(
      'model "m": label "beta" is not defined; available versions: 1, 2; labels: stable=1, canary=2',
    );
  });

  it('isolates a FAILED version: its reason is kept and the others serve', async () => {
    await addVersion('m', '1');
    await addVersion('m', '2', 'corrupt');
    await addVersion('m', '3', 'fails-to-run');
    await addVersion('other', '1');
    const registry = await loaded();
    const states = registry.get('m').versions.map((v) => [v.version, v.state, v.reason]);
    expect(states).toEqual([
      [1, 'READY', undefined],
      [2, 'FAILED', 'cannot parse m/2'],
      [3, 'FAILED', 'warm-up inference failed: kernel exploded'],
    ]);
    expect(engine.released).toBe(1);
    expect(registry.resolve('m', { kind: 'default' }).version).toBe(1);
    expect(() => registry.resolve('m', { kind: 'number', version: 2 })).toThrow(/version 2 is FAILED \(cannot parse m\/2\); available versions: 1$/);
    expect(registry.resolve('other', { kind: 'default' }).version).toBe(1);
    expect(registry.isReady()).toBe(true);
  });

  it('is ready without a model that never loaded, which reports FAILED on its own', async () => {
    await addVersion('m', '1', 'corrupt');
    await addVersion('m', '2');
    await writeFile(path.join(root, 'm', 'config.json'), JSON.stringify({ default_version: 1 }));
    await addVersion('good', '1');
    const registry = await loaded();
    expect(registry.isReady()).toBe(true);
    expect(registry.isRequired('m')).toBe(false);
    expect(registry.isRequired('good')).toBe(true);
    expect(() => registry.resolve('m', { kind: 'default' })).toThrow(/default version is FAILED/);
  });

  it('is not ready while a model named by REQUIRED_MODELS cannot serve, or is missing', async () => {
    await addVersion('m', '1', 'corrupt');
    await addVersion('good', '1');
    const options = (requiredModels: string[]) => ({ ...DEFAULT_REGISTRY_OPTIONS, requiredModels });
    const failing = new ModelRegistry(new ModelStore(root), engine, options(['m', 'good']));
    await failing.whenLoaded();
    expect(failing.isReady()).toBe(false);
    const missing = new ModelRegistry(new ModelStore(root), engine, options(['good', 'absent']));
    await missing.whenLoaded();
    expect(missing.isReady()).toBe(false);
    const named = new ModelRegistry(new ModelStore(root), engine, options(['good']));
    await named.whenLoaded();
    expect(named.isReady()).toBe(true);
  });

  it('fails a version whose manifest is unreadable or does not fit the model, naming why', async () => {
    await addVersion('m', '1');
    await mkdir(path.join(root, 'm', '2'));
    await writeFile(path.join(root, 'm', '2', 'model.onnx'), 'ok');
    await writeFile(path.join(root, 'm', '2', 'manifest.json'), '{ secret-looking contents');
    await addVersion('m', '3', 'ok', { task: 'classification', labels: ['a', 'b', 'c'] });
    await addVersion('m', '4', 'ok', { features: ['a', 'b', 'c'] });
    await addVersion('m', '5', 'ok', { task: 'regression', unknown_key: 1 });
    const reasons = (await loaded()).get('m').versions.map((v) => v.reason);
    expect(reasons[0]).toBeUndefined();
    // Reasons are public (model list, readiness): they name the file and where it breaks, never its contents or paths.
    expect(reasons[1]).toBe('m/2/manifest.json is not valid JSON (at character 2)');
    expect(reasons[2]).toContain('no float output of shape [batch, 3]');
    expect(reasons[3]).toContain('manifest names 3 features, but input x has shape [*, 2]');
    expect(reasons[4]).toContain('property unknown_key should not exist');
  });

  it('fails a model whose config.json is refused at start, naming the file and why, and stays ready for the others', async () => {
    await addVersion('m', '1');
    await writeFile(path.join(root, 'm', 'config.json'), JSON.stringify({ labels: { '1bad': 1 } }));
    await addVersion('good', '1');
    const registry = await loaded();
    const model = registry.get('m');
    expect(model.configError).toMatchObject({ file: 'm/config.json', reason: expect.stringContaining('label "1bad" must start with a letter') });
    // Its default version, labels and cache are unknown: it is not served with a guessed config.
    expect(model.versions[0]).toMatchObject({ state: 'FAILED', reason: expect.stringContaining('m/config.json: labels.1bad: label "1bad"') });
    expect(engine.loadedTexts).toEqual(['ok']);
    expect(registry.isReady()).toBe(true);
    expect(registry.isRequired('m')).toBe(false);

    await writeFile(path.join(root, 'm', 'config.json'), JSON.stringify({ labels: { stable: 1 } }));
    await registry.rescan();
    expect(registry.get('m').configError).toBeUndefined();
    expect(registry.resolve('m', { kind: 'label', label: 'stable' }).version).toBe(1);
  });

  it('is not ready while a model named by REQUIRED_MODELS has a refused config, naming the model and the file', async () => {
    await addVersion('m', '1');
    await writeFile(path.join(root, 'm', 'config.json'), '{"default_version": 1,');
    await addVersion('good', '1');
    const registry = new ModelRegistry(new ModelStore(root), engine, { ...DEFAULT_REGISTRY_OPTIONS, requiredModels: ['m', 'good'] });
    await registry.whenLoaded();
    expect(registry.isReady()).toBe(false);
    expect(registry.notReadyBecause()).toEqual({
      message: 'required model cannot serve: "m": m/config.json is not valid JSON (at character 22) (not served until it is fixed)',
      models: { m: 'm/config.json is not valid JSON (at character 22) (not served until it is fixed)' },
    });
  });

  it('names each required model that cannot serve and why, and none of the healthy ones', async () => {
    await addVersion('m', '1', 'corrupt');
    await addVersion('good', '1');
    const registry = new ModelRegistry(new ModelStore(root), engine, { ...DEFAULT_REGISTRY_OPTIONS, requiredModels: ['m', 'good', 'absent'] });
    await registry.whenLoaded();
    expect(registry.notReadyBecause()?.models).toEqual({
      m: 'no version is READY: version 1 is FAILED (cannot parse m/1)',
      absent: 'it has no folder in MODELS_DIR',
    });
    expect(registry.notReadyBecause()?.message).toMatch(/^required models cannot serve: "m": no version is READY.*; "absent": it has no folder/);
  });

  it('refuses config.json and manifest.json nested 100,000 deep by a depth bound, naming the file', async () => {
    const deep = `{"labels": ${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
    await addVersion('m', '1');
    await writeFile(path.join(root, 'm', 'config.json'), deep);
    await addVersion('n', '1');
    await writeFile(path.join(root, 'n', '1', 'manifest.json'), deep.replace('labels', 'evaluation'));
    const registry = await loaded();
    expect(registry.get('m').configError?.reason).toBe('m/config.json nests arrays and objects deeper than 64 levels');
    expect(registry.get('n').versions[0]).toMatchObject({
      state: 'FAILED',
      reason: 'n/1/manifest.json nests arrays and objects deeper than 64 levels',
    });
  });

  it('reads model configs from MODEL_CONFIG_DIR when one is given, and rereads them when they change', async () => {
    const configDir = await mkdtemp(path.join(tmpdir(), 'model-config-'));
    try {
      await addVersion('m', '1');
      await addVersion('m', '2');
      await writeFile(path.join(root, 'm', 'config.json'), JSON.stringify({ default_version: 2 }));
      await writeFile(path.join(configDir, 'm.json'), JSON.stringify({ default_version: 1, labels: { stable: 1 } }));
      const registry = new ModelRegistry(new ModelStore(root, configDir), engine);
      await registry.whenLoaded();
      expect(registry.resolve('m', { kind: 'default' }).version).toBe(1);
      await writeFile(path.join(configDir, 'm.json'), JSON.stringify({ default_version: 2 }));
      await registry.rescan();
      expect(registry.resolve('m', { kind: 'default' }).version).toBe(2);
    } finally {
      await rm(configDir, { recursive: true, force: true });
    }
  });

  it('skips folders that are not valid model names or versions', async () => {
    await addVersion('m', '1');
    await addVersion('m', '01');
    await addVersion('m', 'latest');
    await mkdir(path.join(root, '.hidden', '1'), { recursive: true });
    const registry = await loaded();
    expect(registry.list().map((m) => m.name)).toEqual(['m']);
    expect(registry.get('m').versions.map((v) => v.version)).toEqual([1]);
  });

  it('fails a model.onnx that is a FIFO at once, instead of waiting for a writer forever', async () => {
    await addVersion('m', '1');
    await mkdir(path.join(root, 'm', '2'));
    execFileSync('mkfifo', [path.join(root, 'm', '2', 'model.onnx')]);
    const registry = await loaded();
    expect(registry.get('m').versions[1]).toMatchObject({ state: 'FAILED', reason: 'm/2/model.onnx is not a regular file' });
    await registry.rescan();
    expect(registry.resolve('m', { kind: 'default' }).version).toBe(1);
  });

  it('refuses symlinks that lead out of MODELS_DIR', async () => {
    const outside = await mkdtemp(path.join(tmpdir(), 'outside-'));
    try {
      await mkdir(path.join(outside, 'evil', '1'), { recursive: true });
      await writeFile(path.join(outside, 'evil', '1', 'model.onnx'), 'ok');
      await symlink(path.join(outside, 'evil'), path.join(root, 'evil'));
      await addVersion('m', '1');
      await symlink(path.join(outside, 'evil', '1', 'model.onnx'), path.join(root, 'm', '1', 'model.onnx.target'));
      await mkdir(path.join(root, 'm', '2'));
      await symlink(path.join(outside, 'evil', '1', 'model.onnx'), path.join(root, 'm', '2', 'model.onnx'));
      const registry = await loaded();
      expect(registry.list().map((m) => m.name)).toEqual(['m']);
      expect(registry.get('m').versions[1].state).toBe('FAILED');
      expect(registry.get('m').versions[1].reason).toContain('resolves outside MODELS_DIR');
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });

  it('answers unknown models without touching the disk, for any name', async () => {
    await addVersion('m', '1');
    const registry = await loaded();
    for (const name of ['../m', '/etc/passwd', 'm/1', '']) {
      expect(() => registry.resolve(name, { kind: 'default' })).toThrow(/not found; available models: m/);
    }
  });

  it('answers "retry later" (MODEL_LOADING, a 503), not "not found", until the repository has been read', async () => {
    await addVersion('m', '1');
    const registry = new ModelRegistry(new ModelStore(root), engine);
    expect(() => registry.resolve('m', { kind: 'default' })).toThrow(
      expect.objectContaining({ code: 'MODEL_LOADING', message: 'the model repository is still being read; retry shortly' }),
    );
    await registry.whenLoaded();
    expect(registry.resolve('m', { kind: 'default' }).version).toBe(1);
  });

  it('releases every session on shutdown', async () => {
    await addVersion('m', '1');
    await addVersion('m', '2');
    const registry = await loaded();
    await registry.onApplicationShutdown();
    expect(engine.released).toBe(2);
    expect(registry.get('m').versions.every((v) => v.state === 'UNAVAILABLE')).toBe(true);
  });
});

describe('ModelRegistry while the repository changes', () => {
  let root: string;
  let engine: FakeEngine;
  let registry: ModelRegistry;

  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'registry-live-'));
    engine = new FakeEngine();
  });
  afterEach(async () => {
    await registry?.onApplicationShutdown();
    await rm(root, { recursive: true, force: true });
  });

  async function write(model: string, version: string, content: string): Promise<void> {
    await mkdir(path.join(root, model, version), { recursive: true });
    await writeFile(path.join(root, model, version, 'model.onnx'), content);
  }

  async function start(timing = { pollIntervalMs: 0, settleMs: 0 }): Promise<ModelRegistry> {
    registry = new ModelRegistry(new ModelStore(root), engine, { ...DEFAULT_REGISTRY_OPTIONS, ...timing });
    registry.onApplicationBootstrap();
    await registry.whenLoaded();
    return registry;
  }

  it('loads a new version folder and moves default traffic to it once READY', async () => {
    await write('m', '1', 'one');
    await start();
    await write('m', '2', 'two');
    await registry.rescan();
    expect(registry.resolve('m', { kind: 'default' }).version).toBe(2);
    expect(registry.get('m').versions.map((v) => v.state)).toEqual(['READY', 'READY']);
  });

  it('stays ready when a broken model is added while serving', async () => {
    await write('m', '1', 'one');
    await start();
    await write('broken', '1', 'corrupt');
    await registry.rescan();
    expect(registry.get('broken').versions[0].state).toBe('FAILED');
    expect(registry.isReady()).toBe(true);
  });

  it('keeps traffic where it is when a new version is broken', async () => {
    await write('m', '1', 'one');
    await start();
    await write('m', '2', 'corrupt');
    await registry.rescan();
    expect(registry.get('m').versions[1]).toMatchObject({ version: 2, state: 'FAILED', reason: 'cannot parse m/2' });
    expect(registry.resolve('m', { kind: 'default' }).version).toBe(1);
  });

  it('stops routing to a removed version at once and releases it only after its in-flight requests', async () => {
    await write('m', '1', 'one');
    await write('m', '2', 'two');
    await start();
    const serving = registry.resolve('m', { kind: 'number', version: 2 });
    serving.enter();
    await rm(path.join(root, 'm', '2'), { recursive: true });
    await registry.rescan();
    expect(() => registry.resolve('m', { kind: 'number', version: 2 })).toThrow(/version 2 does not exist/);
    expect(registry.resolve('m', { kind: 'default' }).version).toBe(1);
    expect(engine.released).toBe(0);
    serving.leave();
    await vi.waitFor(() => expect(engine.released).toBe(1));
  });

  it('swaps a replaced model.onnx in atomically and keeps the old one when the new file is broken', async () => {
    await write('m', '1', 'first');
    await start();
    const before = registry.resolve('m', { kind: 'default' });
    await write('m', '1', 'second');
    await registry.rescan();
    const after = registry.resolve('m', { kind: 'default' });
    expect(after).not.toBe(before);
    expect(after.sha256).not.toBe(before.sha256);
    await vi.waitFor(() => expect(engine.released).toBe(1));

    await write('m', '1', 'corrupt');
    await registry.rescan();
    expect(registry.resolve('m', { kind: 'default' })).toBe(after);
    expect(registry.get('m').versions[0]).toMatchObject({ state: 'READY' });
    expect(registry.get('m').versions[0].reason).toContain('reload failed, still serving the previous files: cannot parse m/1');
  });

  it('keeps serving with the last good config while config.json is refused, ready throughout, and takes the fixed file', async () => {
    await write('m', '1', 'one');
    await write('m', '2', 'two');
    const config = path.join(root, 'm', 'config.json');
    await writeFile(config, JSON.stringify({ default_version: 1, labels: { stable: 1 } }));
    await start();
    const warnings = vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    await writeFile(config, '{"default_version": 2, typo');
    await registry.rescan();
    expect(registry.get('m').configError).toMatchObject({ file: 'm/config.json', reason: 'm/config.json is not valid JSON (at character 23)' });
    expect(registry.isReady()).toBe(true);
    // One warning per change of the file, however many passes see it.
    await registry.rescan();
    await registry.rescan();
    expect(warnings.mock.calls).toEqual([
      ['Model m: config refused, the previous config stays in force: m/config.json is not valid JSON (at character 23)'],
    ]);
    warnings.mockRestore();
    expect(registry.resolve('m', { kind: 'default' }).version).toBe(1);
    expect(registry.resolve('m', { kind: 'label', label: 'stable' }).version).toBe(1);

    await writeFile(config, JSON.stringify({ default_version: 2 }));
    await registry.rescan();
    expect(registry.get('m').configError).toBeUndefined();
    expect(registry.resolve('m', { kind: 'default' }).version).toBe(2);
  });

  it('loads a model whose config was refused from the start on the first poll after the file is fixed', async () => {
    await write('m', '1', 'one');
    await writeFile(path.join(root, 'm', 'config.json'), '{');
    await start({ pollIntervalMs: 20, settleMs: 60_000 });
    expect(registry.get('m').versions[0].state).toBe('FAILED');
    // The version files were already there: a fixed config does not wait MODEL_SETTLE_MS for them.
    await writeFile(path.join(root, 'm', 'config.json'), '{}');
    await vi.waitFor(() => expect(registry.get('m').versions[0].state).toBe('READY'), { timeout: 5000 });
    expect(registry.get('m').configError).toBeUndefined();
  });

  it('waits until a file stops changing before loading it, so half-copied files are never loaded', async () => {
    await write('m', '1', 'one');
    await start({ pollIntervalMs: 20, settleMs: 300 });
    await write('m', '2', 'partial');
    for (let i = 0; i < 5; i++) {
      await new Promise((resolve) => setTimeout(resolve, 40));
      await writeFile(path.join(root, 'm', '2', 'model.onnx'), `partial${'x'.repeat(i + 1)}`);
    }
    await writeFile(path.join(root, 'm', '2', 'model.onnx'), 'complete');
    await vi.waitFor(() => expect(registry.get('m').versions[1]?.state).toBe('READY'), { timeout: 5000 });
    expect(registry.get('m').versions[1].reason).toBeUndefined();
    expect(engine.loadedTexts).toEqual(['one', 'complete']);
  });

  it('unloads and reloads a version on request, and the watcher leaves an unloaded version alone', async () => {
    await write('m', '1', 'one');
    await write('m', '2', 'two');
    await start();
    await registry.unload('m', 2);
    await registry.rescan();
    expect(registry.get('m').versions[1]).toMatchObject({ state: 'UNAVAILABLE', reason: 'unloaded through the admin API' });
    expect(registry.resolve('m', { kind: 'default' }).version).toBe(1);
    await registry.loadNow('m', 2);
    expect(registry.resolve('m', { kind: 'default' }).version).toBe(2);
  });

  it('applies run-time default, labels and weights over config.json, refusing unknown versions', async () => {
    await write('m', '1', 'one');
    await write('m', '2', 'two');
    await writeFile(path.join(root, 'm', 'config.json'), JSON.stringify({ default_version: 1 }));
    await start();
    registry.setOverrides('m', { default_version: 2, labels: { beta: 1 } });
    expect(registry.resolve('m', { kind: 'default' }).version).toBe(2);
    expect(registry.resolve('m', { kind: 'label', label: 'beta' }).version).toBe(1);
    expect(() => registry.setOverrides('m', { default_version: 7 })).toThrow(/has no version 7/);
    registry.setOverrides('m', undefined);
    expect(registry.resolve('m', { kind: 'default' }).version).toBe(1);
  });

  it('splits default traffic by weight, sticky per request key, and only across READY versions', async () => {
    await write('m', '1', 'one');
    await write('m', '2', 'two');
    await writeFile(path.join(root, 'm', 'config.json'), JSON.stringify({ default_version: 1, weights: { '1': 90, '2': 10 } }));
    await start();
    const counts = { 1: 0, 2: 0 } as Record<number, number>;
    for (let i = 0; i < 2000; i++) counts[registry.resolve('m', { kind: 'default', requestKey: `user-${i}` }).version]++;
    expect(counts[2]).toBeGreaterThan(120);
    expect(counts[2]).toBeLessThan(280);
    for (let i = 0; i < 50; i++) {
      const first = registry.resolve('m', { kind: 'default', requestKey: `user-${i}` }).version;
      expect(registry.resolve('m', { kind: 'default', requestKey: `user-${i}` }).version).toBe(first);
    }
    await registry.unload('m', 2);
    for (let i = 0; i < 100; i++) expect(registry.resolve('m', { kind: 'default', requestKey: `user-${i}` }).version).toBe(1);
  });
});
