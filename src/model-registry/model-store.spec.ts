import { mkdir, mkdtemp, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ModelStore } from './model-store';

describe('ModelStore.scan, polled every few seconds', () => {
  let root: string;
  let outside: string;

  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'model-store-'));
    outside = await mkdtemp(path.join(tmpdir(), 'model-store-outside-'));
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
    await rm(outside, { recursive: true, force: true });
  });

  async function addVersion(dir: string, model: string, version: number): Promise<void> {
    await mkdir(path.join(dir, model, String(version)), { recursive: true });
    await writeFile(path.join(dir, model, String(version), 'model.onnx'), 'bytes');
  }

  it('reads a config.json again only when it changed', async () => {
    await addVersion(root, 'iris', 1);
    await writeFile(path.join(root, 'iris', 'config.json'), '{"default_version": 1}');
    const store = new ModelStore(root);
    const first = (await store.scan()).models[0];
    const unchanged = (await store.scan()).models[0];
    expect(unchanged.config).toBe(first.config);
    expect(unchanged.configFingerprint).toBe(first.configFingerprint);

    await writeFile(path.join(root, 'iris', 'config.json'), '{"default_version": 2, "labels": {}}');
    const changed = (await store.scan()).models[0];
    expect(changed.configFingerprint).not.toBe(first.configFingerprint);
    expect(changed.config).toMatchObject({ default_version: 2 });
  });

  it('notices a config.json that appears, and one that goes away', async () => {
    await addVersion(root, 'iris', 1);
    const store = new ModelStore(root);
    expect((await store.scan()).models[0].config).toMatchObject({ labels: {} });
    await writeFile(path.join(root, 'iris', 'config.json'), '{"default_version": 1, "labels": {"stable": 1}}');
    expect((await store.scan()).models[0].config).toMatchObject({ labels: { stable: 1 } });
    await rm(path.join(root, 'iris', 'config.json'));
    expect((await store.scan()).models[0].config).toMatchObject({ labels: {} });
  });

  it('follows a model folder symlinked inside the repository, refuses one that leads out, and skips plain files', async () => {
    await addVersion(root, 'real', 1);
    await symlink(path.join(root, 'real'), path.join(root, 'alias'));
    await addVersion(outside, 'elsewhere', 1);
    await symlink(path.join(outside, 'elsewhere'), path.join(root, 'escape'));
    await writeFile(path.join(root, 'notes'), 'not a model');
    const { models, skipped } = await new ModelStore(root).scan();
    expect(models.map((model) => `${model.name}:${model.versions.map((v) => v.version).join(',')}`)).toEqual(['alias:1', 'real:1']);
    expect(skipped).toEqual([{ entry: 'escape', reason: expect.stringMatching(/resolves outside/) }]);
  });
});

describe('ModelStore reading a config.json that is replaced while it is read', () => {
  let root: string;

  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'model-store-'));
    await mkdir(path.join(root, 'iris'));
    await writeFile(path.join(root, 'iris', 'config.json'), '{"default_version": 1}');
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  it('keeps the fingerprint of what it read, so the next scan sees the change and reads the new file', async () => {
    const store = new ModelStore(root);
    const reader = store as unknown as { readConfig(name: string): Promise<unknown> };
    const readConfig = reader.readConfig.bind(store);
    // The file is replaced right after its content is read, as a ConfigMap update or `mv` can land.
    vi.spyOn(reader, 'readConfig').mockImplementationOnce(async (name: string) => {
      const config = await readConfig(name);
      await writeFile(path.join(root, 'iris', 'config.json.new'), '{"default_version": 2}');
      await rename(path.join(root, 'iris', 'config.json.new'), path.join(root, 'iris', 'config.json'));
      return config;
    });
    const [first] = (await store.scan()).models;
    expect(first.config).toMatchObject({ default_version: 1 });
    const [second] = (await store.scan()).models;
    expect(second.config).toMatchObject({ default_version: 2 });
    expect(second.configFingerprint).not.toBe(first.configFingerprint);
  });
});
