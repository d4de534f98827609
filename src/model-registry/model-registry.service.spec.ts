import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { InferenceEngine, LoadedModel } from '../inference/inference-engine';
import { ModelRegistry } from './model-registry.service';
import { ModelStore } from './model-store';

/** Loads any bytes except the text "corrupt"; the model echoes a float input of shape [N, 2]. */
class FakeEngine implements InferenceEngine {
  released = 0;
  async load(bytes: Uint8Array, label: string): Promise<LoadedModel> {
    const text = Buffer.from(bytes).toString();
    if (text === 'corrupt') throw new Error(`cannot parse ${label}`);
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

  it('is not ready while a configured default version is FAILED', async () => {
    await addVersion('m', '1', 'corrupt');
    await addVersion('m', '2');
    await writeFile(path.join(root, 'm', 'config.json'), JSON.stringify({ default_version: 1 }));
    const registry = await loaded();
    expect(registry.isReady()).toBe(false);
    expect(() => registry.resolve('m', { kind: 'default' })).toThrow(/default version is FAILED/);
  });

  it('fails a version whose manifest is unreadable or does not fit the model, naming why', async () => {
    await addVersion('m', '1');
    await mkdir(path.join(root, 'm', '2'));
    await writeFile(path.join(root, 'm', '2', 'model.onnx'), 'ok');
    await writeFile(path.join(root, 'm', '2', 'manifest.json'), '{ not json');
    await addVersion('m', '3', 'ok', { task: 'classification', labels: ['a', 'b', 'c'] });
    await addVersion('m', '4', 'ok', { features: ['a', 'b', 'c'] });
    await addVersion('m', '5', 'ok', { task: 'regression', unknown_key: 1 });
    const reasons = (await loaded()).get('m').versions.map((v) => v.reason);
    expect(reasons[0]).toBeUndefined();
    expect(reasons[1]).toContain('m/2/manifest.json is not valid JSON');
    expect(reasons[2]).toContain('no float output of shape [batch, 3]');
    expect(reasons[3]).toContain('manifest names 3 features, but input x has shape [*, 2]');
    expect(reasons[4]).toContain('property unknown_key should not exist');
  });

  it('marks every version FAILED when the model config is unusable', async () => {
    await addVersion('m', '1');
    await writeFile(path.join(root, 'm', 'config.json'), JSON.stringify({ labels: { '1bad': 1 } }));
    const registry = await loaded();
    expect(registry.get('m').configError).toContain('label "1bad" must start with a letter');
    expect(registry.get('m').versions[0].state).toBe('FAILED');
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

  it('releases every session on shutdown', async () => {
    await addVersion('m', '1');
    await addVersion('m', '2');
    const registry = await loaded();
    await registry.onModuleDestroy();
    expect(engine.released).toBe(2);
    expect(registry.get('m').versions.every((v) => v.state === 'UNAVAILABLE')).toBe(true);
  });
});
