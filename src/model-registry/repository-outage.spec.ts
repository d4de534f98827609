import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Logger } from '@nestjs/common';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { removeDir } from '../../test/support/test-app';
import type { InferenceEngine, LoadedModel } from '../inference/engine-contracts';
import { DEFAULT_REGISTRY_OPTIONS, ModelRegistry } from './model-registry.service';
import type { ModelSource } from './model-source';
import { ModelStore } from './model-store';

// A repository that cannot be read (an object store unreachable, a directory not mounted yet) must
// never cost what is loaded, and must say so once, where operators look.

const engine: InferenceEngine = {
  async load(): Promise<LoadedModel> {
    return { inputs: [{ name: 'x', type: 'float32', dims: [null, 2] }], outputs: [{ name: 'y', type: 'float32', dims: [null, 2] }], run: async (feeds) => ({ y: feeds.x }), release: async () => undefined };
  },
};

/** The directory store, with its scans failing while `down` is set, as an unreachable bucket's do. */
class InterruptedSource implements ModelSource {
  down: Error | undefined;
  scans = 0;
  constructor(private readonly store: ModelStore) {}
  get root(): string {
    return 's3://models/prod';
  }
  scan() {
    this.scans++;
    return this.down ? Promise.reject(this.down) : this.store.scan();
  }
  readVersion(name: string, version: number) {
    return this.store.readVersion(name, version);
  }
}

describe('ModelRegistry with a repository that cannot be read', () => {
  let root: string;
  let registry: ModelRegistry | undefined;
  let errors: ReturnType<typeof vi.spyOn>;

  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'registry-outage-'));
    await mkdir(path.join(root, 'm', '1'), { recursive: true });
    await writeFile(path.join(root, 'm', '1', 'model.onnx'), 'one');
    errors = vi.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    vi.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
  });
  afterEach(async () => {
    await registry?.onApplicationShutdown();
    registry = undefined;
    vi.restoreAllMocks();
    await removeDir(root);
  });

  function start(source: ModelSource): ModelRegistry {
    registry = new ModelRegistry(source, engine, { ...DEFAULT_REGISTRY_OPTIONS, pollIntervalMs: 20 });
    registry.onApplicationBootstrap();
    return registry;
  }

  it('at start: not ready, naming the repository and the error, and ready once a poll can read it', async () => {
    const source = new InterruptedSource(new ModelStore(root));
    source.down = new Error('connect ECONNREFUSED 127.0.0.1:9000');
    const started = start(source);

    await vi.waitFor(() => expect(started.notReadyBecause()?.message).toBe('the model repository s3://models/prod cannot be read: connect ECONNREFUSED 127.0.0.1:9000'));
    // Several polls fail meanwhile: logged once.
    await vi.waitFor(() => expect(source.scans).toBeGreaterThanOrEqual(4));
    expect(errors).toHaveBeenCalledTimes(1);

    source.down = undefined;
    await vi.waitFor(() => expect(started.isReady()).toBe(true));
    expect(started.resolve('m', { kind: 'default' }).version).toBe(1);
    expect(started.reachability.state()).toMatchObject({ readable: true });
  });

  it('while serving: keeps every loaded version READY and serving, and applies changes once it can read again', async () => {
    const source = new InterruptedSource(new ModelStore(root));
    const started = start(source);
    await started.whenLoaded();

    source.down = new Error('InvalidAccessKeyId, HTTP 403: The AWS Access Key Id you provided does not exist in our records.');
    const before = source.scans;
    await vi.waitFor(() => expect(source.scans).toBeGreaterThanOrEqual(before + 3));
    expect(started.reachability.state().readable).toBe(false);
    expect(started.isReady()).toBe(true);
    expect(started.get('m').versions.map((v) => v.state)).toEqual(['READY']);
    expect(started.resolve('m', { kind: 'default' }).version).toBe(1);
    expect(errors).toHaveBeenCalledTimes(1);

    await mkdir(path.join(root, 'm', '2'));
    await writeFile(path.join(root, 'm', '2', 'model.onnx'), 'two');
    source.down = undefined;
    await vi.waitFor(() => expect(started.get('m').versions.map((v) => v.state)).toEqual(['READY', 'READY']));
  });

  it('with watching off, still reads again a repository that could not be read at start', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    try {
      const source = new InterruptedSource(new ModelStore(root));
      source.down = new Error('getaddrinfo ENOTFOUND minio');
      registry = new ModelRegistry(source, engine, { ...DEFAULT_REGISTRY_OPTIONS, pollIntervalMs: 0 });
      registry.onApplicationBootstrap();
      await vi.waitFor(() => expect(registry!.reachability.unreadable).toBeDefined());
      source.down = undefined;
      await vi.advanceTimersByTimeAsync(5000);
      await vi.waitFor(() => expect(registry!.isReady()).toBe(true));
    } finally {
      vi.useRealTimers();
    }
  });
});
