import { describe, expect, it } from 'vitest';
import type { VersionManifest } from '../model-registry/manifest';
import type { ModelStatus, ServingVersion } from '../model-registry/model-version';
import { mapModelSummary } from './model-summary.mapper';

/** A loaded version as the summary sees it: only its manifest is read. */
function loaded(manifest: Partial<VersionManifest> | undefined): ServingVersion {
  return { manifest } as unknown as ServingVersion;
}

function model(overrides: Partial<ModelStatus>): ModelStatus {
  return { name: 'm', versions: [], labels: {}, configuredDefault: undefined, weights: {}, ...overrides };
}

describe('mapModelSummary', () => {
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

  it('carries the reason a config.json could not be used', () => {
    expect(mapModelSummary(model({ configError: 'config.json: labels.stable must be a version' }), undefined)).toMatchObject({
      config_error: 'config.json: labels.stable must be a version',
    });
  });
});
