import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ModelStore } from './model-store';

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
