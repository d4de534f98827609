import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseManifest } from './manifest';
import { ManifestError } from './repository-json';

const BASE = { task: 'classification', features: ['a', 'b'], labels: ['x', 'y', 'z'] };
const withDrift = (drift: unknown) => ({ ...BASE, drift });
const FEATURE = { edges: [1, 2], counts: [3, 4, 5] };

describe('parseManifest: drift reference', () => {
  it('reads features in the manifest order, the predictions and the window (default 1000)', () => {
    const manifest = parseManifest(withDrift({ features: { b: FEATURE, a: { edges: [], counts: [7] } }, predictions: { counts: [1, 0, 2] } }), 'm.json');
    expect(manifest.drift?.window).toBe(1000);
    expect([...manifest.drift!.features.keys()]).toEqual(['a', 'b']);
    expect(manifest.drift!.features.get('b')).toEqual(FEATURE);
    expect(manifest.drift!.predictions).toEqual({ counts: [1, 0, 2] });
    expect(parseManifest(withDrift({ window: 50, predictions: { counts: [1, 1, 1] } }), 'm.json').drift?.window).toBe(50);
  });

  it.each([
    [{ features: { c: FEATURE } }, 'drift.features.c is not one of the manifest\'s features (a, b)'],
    [{ features: { a: { edges: [2, 1], counts: [1, 1, 1] } } }, 'drift.features.a.edges must be strictly increasing'],
    [{ features: { a: { edges: [1, 1], counts: [1, 1, 1] } } }, 'drift.features.a.edges must be strictly increasing'],
    [{ features: { a: { edges: [1, 'x'], counts: [1, 1, 1] } } }, 'drift.features.a.edges must be an array of at most 99 finite numbers'],
    [{ features: { a: { edges: [1, 2], counts: [1, 1] } } }, 'drift.features.a.counts must be 3 integers >= 0'],
    [{ features: { a: { edges: [1, 2], counts: [1, -1, 1] } } }, 'drift.features.a.counts must be 3 integers >= 0'],
    [{ features: { a: { edges: [1, 2], counts: [0, 0, 0] } } }, 'drift.features.a.counts must count at least one reference instance'],
    [{ features: { a: { edges: [1], counts: [1, 1], fractions: [0.5, 0.5] } } }, 'drift.features.a.fractions is not a setting'],
    [{ predictions: { counts: [1, 1] } }, 'drift.predictions.counts must be 3 integers >= 0'],
    [{ window: 0, predictions: { counts: [1, 1, 1] } }, 'drift.window must be an integer from 1 to 1000000'],
    [{ windows: 10 }, 'drift.windows is not a drift setting'],
    [{}, 'drift needs "features", "predictions" or both'],
    [[], 'drift must be an object'],
  ])('refuses %j, naming the file and the field', (drift, message) => {
    expect(() => parseManifest(withDrift(drift), 'm.json')).toThrow(ManifestError);
    expect(() => parseManifest(withDrift(drift), 'm.json')).toThrow(`m.json: ${message}`);
  });

  it('needs labels for the predictions', () => {
    expect(() => parseManifest({ task: 'generic', drift: { predictions: { counts: [1] } } }, 'm.json')).toThrow(
      'm.json: drift.predictions needs the manifest\'s "labels"',
    );
  });

  it.each(['iris/1', 'iris/2', 'digits/1'])('reads the bundled models/%s reference', (version) => {
    const file = path.resolve(__dirname, '../../models', version, 'manifest.json');
    const drift = parseManifest(JSON.parse(readFileSync(file, 'utf8')), file).drift!;
    expect(drift.window).toBe(1000);
    expect(drift.predictions?.counts.length).toBe(version.startsWith('iris') ? 3 : 10);
    expect(drift.features.size).toBe(version.startsWith('iris') ? 4 : 0);
  });
});
