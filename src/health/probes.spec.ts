import { describe, expect, it, vi } from 'vitest';
import { IpcPeer } from '../cluster/ipc-peer';
import { HEALTH_SHARE_MS, ServerProcess, TO_HTTP_PROCESS, TO_PRIMARY } from '../cluster/server-process';
import type { InferenceEngine } from '../inference/engine-contracts';
import { ShutdownState } from '../lifecycle/shutdown-state';
import type { ModelRegistry } from '../model-registry/model-registry.service';
import { Probes } from './probes';

/** An HTTP process's Probes under a stand-in primary: what it asks the primary, and a way to tell it the others' health. */
function probesUnderPrimary() {
  const peer = new IpcPeer({ send: () => true, on: () => undefined }, 'the primary process');
  const handlers = new Map<string, (payload: unknown) => unknown>();
  vi.spyOn(peer, 'handle').mockImplementation((kind, handler) => void handlers.set(kind, handler));
  const asked = vi.spyOn(peer, 'request').mockResolvedValue({ notLive: 'HTTP process 2: asked' });
  const registry = { notReadyBecause: () => undefined } as unknown as ModelRegistry;
  const engine = { failure: () => undefined } as unknown as InferenceEngine;
  const probes = new Probes(registry, new ShutdownState(), engine, ServerProcess.underPrimary(1, peer));
  const tell = (health: object) => handlers.get(TO_HTTP_PROCESS.siblingsHealth)!(health);
  return { probes, asked, tell };
}

describe('Probes with several HTTP processes', () => {
  it('answers for the pod from what the primary last told of the others, without asking', async () => {
    const { probes, asked, tell } = probesUnderPrimary();
    tell({ notReady: 'HTTP process 2: required model "iris" cannot serve: default version 1 is FAILED' });
    expect(await probes.notLiveBecause()).toBeUndefined();
    expect(await probes.notReadyBecause()).toBe('HTTP process 2: required model "iris" cannot serve: default version 1 is FAILED');
    expect(asked).not.toHaveBeenCalled();
  });

  it('asks through the primary, and waits, when nothing was told yet or what was told is stale', async () => {
    vi.useFakeTimers();
    try {
      const { probes, asked, tell } = probesUnderPrimary();
      expect(await probes.notLiveBecause()).toBe('HTTP process 2: asked');
      expect(asked).toHaveBeenCalledWith(TO_PRIMARY.health, undefined, expect.any(Number));
      tell({});
      asked.mockClear();
      vi.advanceTimersByTime(3 * HEALTH_SHARE_MS);
      expect(await probes.notLiveBecause()).toBeUndefined();
      expect(asked).not.toHaveBeenCalled();
      vi.advanceTimersByTime(1);
      expect(await probes.notLiveBecause()).toBe('HTTP process 2: asked');
    } finally {
      vi.useRealTimers();
    }
  });
});
