import { describe, expect, it } from 'vitest';
import { applyFileConfig, applyOverrides } from './model-config-state';
import { parseModelConfig, parseModelOverrides } from './model-config';
import type { StoredModel } from './model-store';
import type { ModelStatus } from './model-version';
import { ManifestError } from './repository-json';
import { shadowInForce } from './shadow-config';

const refusal = (json: unknown) => {
  try {
    parseModelConfig(json, 'iris/config.json');
  } catch (error) {
    if (error instanceof ManifestError) return error.message;
    throw error;
  }
  throw new Error(`${JSON.stringify(json)} was accepted`);
};

describe('the "shadow" section of a model config', () => {
  it('takes a version number or a label, a sample from 0 to 1, and optional top_k and queue_size', () => {
    expect(parseModelConfig({ shadow: { version: 2, sample: 0.1 } }, 'f').shadow).toEqual({ version: 2, sample: 0.1 });
    expect(parseModelConfig({ shadow: { version: 'canary', sample: 1, top_k: 2, queue_size: 8 } }, 'f').shadow).toEqual({
      version: 'canary',
      sample: 1,
      top_k: 2,
      queue_size: 8,
    });
    expect(parseModelConfig({ shadow: null }, 'f').shadow).toBeNull();
    expect(parseModelConfig({}, 'f').shadow).toBeUndefined();
  });

  it.each([
    [{ version: 0, sample: 0.1 }, 'shadow.version must be a version number (an integer >= 1) or a label'],
    [{ version: '2', sample: 0.1 }, 'shadow.version must be a version number'],
    [{ version: 1.5, sample: 0.1 }, 'shadow.version must be a version number'],
    [{ sample: 0.1 }, 'shadow.version must be a version number'],
    [{ version: 2, sample: 1.5 }, 'shadow.sample must not be greater than 1'],
    [{ version: 2, sample: -0.1 }, 'shadow.sample must not be less than 0'],
    [{ version: 2 }, 'shadow.sample must be a number'],
    [{ version: 2, sample: 0.1, top_k: 0 }, 'shadow.top_k must not be less than 1'],
    [{ version: 2, sample: 0.1, queue_size: 1e6 }, 'shadow.queue_size must not be greater than 10000'],
    [{ version: 2, sample: 0.1, extra: 1 }, 'shadow.extra: property extra should not exist'],
  ])('refuses %j, naming the field', (shadow, message) => {
    expect(refusal({ shadow })).toContain(message);
  });

  it('is taken by the admin API only when the body has it; null turns a config.json shadow off', () => {
    expect(parseModelOverrides({ default_version: 1 }, 'request body')).toEqual({ default_version: 1 });
    expect(parseModelOverrides({ shadow: { version: 2, sample: 0.5 } }, 'request body')).toEqual({ shadow: { version: 2, sample: 0.5 } });
    expect(parseModelOverrides({ shadow: null }, 'request body')).toEqual({ shadow: null });
  });
});

describe('the shadow in force', () => {
  const model = (): ModelStatus => ({ name: 'iris', versions: [{ version: 1, state: 'READY' }, { version: 2, state: 'READY' }], labels: {}, configuredDefault: undefined, weights: {} });
  const stored = (shadow: unknown, labels: Record<string, number> = {}): StoredModel =>
    ({ name: 'iris', configFile: 'iris/config.json', versions: [], config: { labels, weights: {}, versions: {}, shadow }, configFingerprint: 'f' }) as StoredModel;

  it('keeps its `since` while the section means the same, and starts again when it changes', () => {
    const first = shadowInForce(undefined, { version: 2, sample: 0.1 }, new Date(1000))!;
    expect(shadowInForce(first, { version: 2, sample: 0.1 }, new Date(2000))).toBe(first);
    expect(shadowInForce(first, { version: 2, sample: 0.2 }, new Date(3000))).toEqual({ config: { version: 2, sample: 0.2 }, since: new Date(3000) });
    expect(shadowInForce(first, null)).toBeUndefined();
  });

  it('comes from config.json, an admin override wins over it, null turns it off, clearing the override brings it back', () => {
    const iris = model();
    applyFileConfig(iris, stored({ version: 2, sample: 0.1 }));
    const fromFile = iris.shadow;
    expect(fromFile?.config).toEqual({ version: 2, sample: 0.1 });
    // A change of config.json elsewhere (labels) keeps the shadow's figures going.
    applyFileConfig(iris, stored({ version: 2, sample: 0.1 }, { stable: 1 }));
    expect(iris.shadow).toBe(fromFile);
    applyOverrides(iris, { shadow: { version: 1, sample: 1 } });
    expect(iris.shadow?.config).toEqual({ version: 1, sample: 1 });
    applyOverrides(iris, { shadow: null });
    expect(iris.shadow).toBeUndefined();
    applyOverrides(iris, { default_version: 1 });
    expect(iris.shadow?.config).toEqual({ version: 2, sample: 0.1 });
    applyOverrides(iris, undefined);
    expect(iris.shadow?.config).toEqual({ version: 2, sample: 0.1 });
  });

  it('may name a version or label that does not exist: its sampled requests count as unavailable', () => {
    const iris = model();
    expect(() => applyOverrides(iris, { shadow: { version: 7, sample: 1 } })).not.toThrow();
    expect(() => applyOverrides(iris, { shadow: { version: 'later', sample: 1 } })).not.toThrow();
  });
});
