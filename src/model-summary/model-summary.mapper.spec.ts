import { describe, expect, it } from 'vitest';
import type { VersionManifest } from '../model-registry/manifest';
import type { ModelStatus, ServingVersion } from '../model-registry/model-version';
import { deprecationsOf } from '../model-registry/version-deprecation';
import { mapModelList, mapModelStatus, mapModelSummary } from './model-summary.mapper';

/** A loaded version as the summary sees it: only its manifest is read. */
function loaded(manifest: Partial<VersionManifest> | undefined): ServingVersion {
  return { manifest } as unknown as ServingVersion;
}

function model(overrides: Partial<ModelStatus>): ModelStatus {
  return { name: 'm', versions: [], labels: {}, configuredDefault: undefined, weights: {}, ...overrides };
}

describe('mapModelSummary', () => {
  it("shows a deprecated version's deprecation as configured, a sunset alone as deprecated: true, and nothing for the others", () => {
    const deprecations = deprecationsOf(
      {
        '1': { deprecated: '2026-12-01T00:00:00Z', sunset: '2027-06-01T00:00:00Z', link: 'https://example.com/v1', after_sunset: 'refuse' },
        '2': { sunset: '2027-06-01T00:00:00Z' },
        '3': { deprecated: true },
        '4': { deprecated: false },
      },
      undefined,
      undefined,
      0,
    );
    const versions = [1, 2, 3, 4, 5].map((version) => ({ version, state: 'READY' as const }));
    expect(mapModelSummary(model({ versions, deprecations }), 5).versions).toEqual([
      { version: 1, state: 'READY', deprecated: '2026-12-01T00:00:00Z', sunset: '2027-06-01T00:00:00Z', after_sunset: 'refuse', link: 'https://example.com/v1' },
      { version: 2, state: 'READY', deprecated: true, sunset: '2027-06-01T00:00:00Z', after_sunset: 'serve' },
      { version: 3, state: 'READY', deprecated: true },
      { version: 4, state: 'READY' },
      { version: 5, state: 'READY' },
    ]);
  });

  it('lists every version with its state, the reason of a FAILED one, labels, default and canary weights', () => {
    const summary = mapModelSummary(
      model({
        name: 'iris',
        versions: [
          { version: 1, state: 'READY', ready: loaded({ features: ['a', 'b'] } as Partial<VersionManifest>) },
          { version: 2, state: 'READY', ready: loaded(undefined) },
          { version: 3, state: 'FAILED', reason: 'model.onnx: protobuf parsing failed' },
          { version: 4, state: 'LOADING' },
        ],
        labels: { stable: 1, canary: 2 },
        weights: { '1': 90, '2': 10 },
      }),
      1,
    );
    expect(summary).toEqual({
      name: 'iris',
      versions: [
        { version: 1, state: 'READY' },
        { version: 2, state: 'READY' },
        { version: 3, state: 'FAILED', reason: 'model.onnx: protobuf parsing failed' },
        { version: 4, state: 'LOADING' },
      ],
      labels: { stable: 1, canary: 2 },
      default_version: 1,
      weights: { '1': 90, '2': 10 },
    });
  });

  it('says which loaded versions take images, with the size and colour they are brought to', () => {
    const image = { color: 'grayscale', width: 28, height: 28, layout: 'NCHW', scale: 255, mean: [0.1307], std: [0.3081], invert: false };
    const summary = mapModelSummary(
      model({
        name: 'digits',
        versions: [
          { version: 1, state: 'READY', ready: loaded({ image } as unknown as Partial<VersionManifest>) },
          // Not loaded: its manifest is not known, so nothing is claimed about it.
          { version: 2, state: 'FAILED', reason: 'bad manifest' },
        ],
      }),
      undefined,
    );
    expect(summary.versions).toEqual([
      { version: 1, state: 'READY', image: { width: 28, height: 28, color: 'grayscale' } },
      { version: 2, state: 'FAILED', reason: 'bad manifest' },
    ]);
    expect(summary).not.toHaveProperty('default_version');
    expect(summary).not.toHaveProperty('weights');
  });

  it('shows a refused config.json (file, reason, since when) beside the config still in force', () => {
    const since = new Date('2026-12-01T10:00:00.000Z');
    const configError = { file: 'iris/config.json', reason: 'iris/config.json is not valid JSON (at character 3)', since };
    const serving = mapModelSummary(model({ labels: { stable: 1 }, configError, fileConfig: { default_version: 1, labels: { stable: 1 } } }), 1);
    expect(serving).toMatchObject({
      labels: { stable: 1 },
      default_version: 1,
      config_error: { file: 'iris/config.json', reason: 'iris/config.json is not valid JSON (at character 3)', since: '2026-12-01T10:00:00.000Z', in_force: 'last_good' },
    });
    // Refused from the start: nothing is in force, and the model is not served.
    expect(mapModelSummary(model({ configError }), undefined).config_error).toMatchObject({ in_force: 'none' });
    expect(mapModelSummary(model({ fileConfig: {} }), undefined)).not.toHaveProperty('config_error');
  });
});

describe('mapModelList and mapModelStatus', () => {
  it('show each model with the version a request naming none gets: the configured default, else the highest READY', () => {
    const ready = { version: 1, state: 'READY' as const };
    const list = mapModelList([
      model({ name: 'a', versions: [ready, { version: 2, state: 'READY' }] }),
      model({ name: 'b', versions: [ready, { version: 2, state: 'READY' }], configuredDefault: 1 }),
      model({ name: 'c' }),
    ]);
    expect(list.models.map((summary) => [summary.name, summary.default_version])).toEqual([
      ['a', 2],
      ['b', 1],
      ['c', undefined],
    ]);
    const weighted = model({ name: 'd', versions: [ready, { version: 2, state: 'READY' }], configuredDefault: 1, weights: { '2': 100 } });
    expect(mapModelStatus(weighted)).toEqual(mapModelSummary(weighted, 1));
  });
});
