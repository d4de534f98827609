import { describe, expect, it } from 'vitest';
import type { ModelStatus, VersionStatus } from './model-version';
import { chooseVersion, defaultVersion } from './version-resolution';
import { parseVersionSelector } from './requested-version';

const ready = (version: number): VersionStatus => ({ version, state: 'READY', ready: { version } as unknown as VersionStatus['ready'] });

function model(versions: VersionStatus[], config: Partial<ModelStatus> = {}): ModelStatus {
  return { name: 'iris', versions, labels: {}, configuredDefault: undefined, weights: {}, ...config };
}

const choose = (m: ModelStatus, header?: string, key?: string) => chooseVersion(m, parseVersionSelector(header, key)).version;

describe('chooseVersion', () => {
  it('serves the configured default, else the highest READY version, when the request names none', () => {
    expect(choose(model([ready(1), ready(2)]))).toBe(2);
    expect(choose(model([ready(1), ready(2)], { configuredDefault: 1 }))).toBe(1);
    expect(defaultVersion(model([ready(1), { version: 2, state: 'FAILED' }]))).toBe(1);
  });

  it('serves a version by number or by label', () => {
    const m = model([ready(1), ready(2)], { labels: { stable: 1, canary: 2 } });
    expect(choose(m, '1')).toBe(1);
    expect(choose(m, 'canary')).toBe(2);
  });

  it('splits default traffic by weight, the same way for the same request key', () => {
    const m = model([ready(1), ready(2)], { weights: { '1': 50, '2': 50 } });
    const first = choose(m, undefined, 'user-7');
    for (let i = 0; i < 20; i++) expect(choose(m, undefined, 'user-7')).toBe(first);
  });

  it('answers MODEL_LOADING (retry) for a version still loading, not a 404', () => {
    const m = model([ready(1), { version: 2, state: 'LOADING' }]);
    expect(() => choose(m, '2')).toThrow(expect.objectContaining({ code: 'MODEL_LOADING', message: 'model "iris": version 2 is still LOADING; retry shortly' }));
  });

  it('answers VERSION_NOT_AVAILABLE naming what exists for unknown, FAILED and unlabelled choices', () => {
    const m = model([ready(1), { version: 2, state: 'FAILED', reason: 'bad file' }], { labels: { stable: 1 } });
    expect(() => choose(m, '3')).toThrow('model "iris": version 3 does not exist; available versions: 1; labels: stable=1');
    expect(() => choose(m, '2')).toThrow('model "iris": version 2 is FAILED (bad file); available versions: 1; labels: stable=1');
    expect(() => choose(m, 'toString')).toThrow(expect.objectContaining({ code: 'VERSION_NOT_AVAILABLE' }));
  });
});
