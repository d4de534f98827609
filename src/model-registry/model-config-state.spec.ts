import { describe, expect, it } from 'vitest';
import { applyFileConfig, applyOverrides, batchSettingsFor, hasUsableConfig } from './model-config-state';
import type { StoredModel } from './model-store';
import type { ModelStatus } from './model-version';

function iris(): ModelStatus {
  return {
    name: 'iris',
    versions: [
      { version: 1, state: 'READY' },
      { version: 2, state: 'READY' },
      { version: 3, state: 'LOADING' },
    ],
    labels: {},
    configuredDefault: undefined,
    weights: {},
  };
}

/** A stored model whose config.json held these fields (labels and weights default to none, as the parser does). */
const stored = (config: Partial<Exclude<StoredModel['config'], Error>> | Error): StoredModel =>
  ({
    name: 'iris',
    configFile: 'iris/config.json',
    versions: [],
    config: config instanceof Error ? config : { labels: {}, weights: {}, ...config },
    configFingerprint: 'f1',
  }) as StoredModel;

describe('model config in force', () => {
  it('takes config.json, and run-time overrides win over it field by field until cleared', () => {
    const model = iris();
    expect(applyFileConfig(model, stored({ default_version: 1, labels: { stable: 1 } }))).toBeUndefined();
    expect(model.configuredDefault).toBe(1);
    applyOverrides(model, { default_version: 2 });
    expect(model.configuredDefault).toBe(2);
    expect(model.labels).toEqual({ stable: 1 });
    applyOverrides(model, undefined);
    expect(model.configuredDefault).toBe(1);
  });

  it('keeps the last good config when config.json becomes unusable, and says which file, why and since when', () => {
    const model = iris();
    applyFileConfig(model, stored({ default_version: 1 }));
    const first = new Date('2026-12-01T10:00:00Z');
    const refused = applyFileConfig(model, stored(new Error('iris/config.json: default_version must be a positive integer')), first);
    expect(refused).toEqual({ file: 'iris/config.json', reason: 'iris/config.json: default_version must be a positive integer', since: first });
    expect(model.configuredDefault).toBe(1);
    expect(hasUsableConfig(model)).toBe(true);
    // Another broken write: the new reason, still refused since the first one.
    applyFileConfig(model, stored(new Error('iris/config.json is not valid JSON (at character 1)')), new Date('2026-12-01T11:00:00Z'));
    expect(model.configError).toEqual({ file: 'iris/config.json', reason: 'iris/config.json is not valid JSON (at character 1)', since: first });
    expect(applyFileConfig(model, stored({ default_version: 2 }))).toBeUndefined();
    expect(model.configError).toBeUndefined();
    expect(model.configuredDefault).toBe(2);
  });

  it('has no config to serve with while config.json was never usable', () => {
    const model = iris();
    applyFileConfig(model, stored(new Error('iris/config.json is not valid JSON (at character 1)')));
    expect(hasUsableConfig(model)).toBe(false);
    applyFileConfig(model, stored({}));
    expect(hasUsableConfig(model)).toBe(true);
  });

  it('refuses overrides naming unknown versions, or a default that is not READY, and changes nothing', () => {
    const model = iris();
    expect(() => applyOverrides(model, { labels: { next: 9 }, weights: { '8': 1 } })).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT', message: 'model "iris" has no version 9, 8; available versions: 1, 2' }),
    );
    expect(() => applyOverrides(model, { default_version: 3 })).toThrow(expect.objectContaining({ code: 'CONFLICT' }));
    expect(model.overrides).toBeUndefined();
    expect(model.configuredDefault).toBeUndefined();
  });

  it("batches with the service's settings, each overridden by the model's config.json batching field", () => {
    const model = iris();
    applyFileConfig(model, stored({ batching: { max_batch_size: 64 } }));
    expect(batchSettingsFor(model, { enabled: true, maxBatchSize: 32, maxQueueDelayUs: 0, maxQueueSize: 2048 })).toEqual({
      enabled: true,
      maxBatchSize: 64,
      maxQueueDelayUs: 0,
      maxQueueSize: 2048,
    });
  });
});
