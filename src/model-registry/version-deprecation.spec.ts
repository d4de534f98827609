import { describe, expect, it } from 'vitest';
import { applyFileConfig, applyOverrides } from './model-config-state';
import type { StoredModel } from './model-store';
import { type ModelStatus, ServingVersion } from './model-version';
import { deprecationOf, deprecationsOf, isRefused } from './version-deprecation';
import type { VersionConfig } from './version-config';
import { sunsetRefusal } from './version-resolution';

const JUNE_2027 = Date.UTC(2027, 5, 1);
const NOW = Date.UTC(2026, 0, 15, 12, 0, 0, 500);

describe('a deprecation notice', () => {
  it('dates Deprecation as an RFC 9745 structured date, Sunset as an HTTP-date, and links as rel="deprecation" and rel="sunset"', () => {
    const deprecation = deprecationOf(
      { deprecated: '2026-12-01T00:00:00.900Z', sunset: '2027-06-01T02:00:00.5+02:00', link: 'https://Example.com/iris v1' },
      undefined,
      NOW,
    );
    expect(deprecation?.notice).toEqual({
      deprecation: `@${Date.UTC(2026, 11, 1) / 1000}`,
      sunset: 'Tue, 01 Jun 2027 00:00:00 GMT',
      // As WHATWG serializes it: safe between < and > in a header.
      link: '<https://example.com/iris%20v1>; rel="deprecation", <https://example.com/iris%20v1>; rel="sunset"',
    });
  });

  it('leaves out Sunset and Link when neither is configured, and rel="sunset" without a sunset', () => {
    expect(deprecationOf({ deprecated: '2026-12-01T00:00:00Z' }, undefined, NOW)?.notice).toEqual({ deprecation: '@1796083200' });
    expect(deprecationOf({ deprecated: true, link: 'https://example.com/v1' }, undefined, NOW)?.notice).toEqual({
      deprecation: `@${Math.floor(NOW / 1000)}`,
      link: '<https://example.com/v1>; rel="deprecation"',
    });
  });

  it('dates `deprecated: true` and a sunset alone from when the deprecation was first applied, never after the sunset', () => {
    expect(deprecationOf({ deprecated: true }, undefined, NOW)?.deprecatedAt).toBe(NOW);
    const sunsetOnly = deprecationOf({ sunset: '2027-06-01T00:00:00Z' }, undefined, NOW)!;
    expect(sunsetOnly.notice).toEqual({ deprecation: `@${Math.floor(NOW / 1000)}`, sunset: 'Tue, 01 Jun 2027 00:00:00 GMT' });
    // Configured after its sunset: deprecated since the sunset, not since the config changed.
    expect(deprecationOf({ sunset: '2020-01-01T00:00:00Z' }, undefined, NOW)?.notice.deprecation).toBe('@1577836800');
    // A later change keeps the first date, so the header does not move on every config change.
    const later = deprecationOf({ deprecated: true, link: 'https://example.com/' }, sunsetOnly, NOW + 86_400_000)!;
    expect(later.deprecatedAt).toBe(NOW);
  });

  it('is none for a version the config does not deprecate', () => {
    expect(deprecationOf({}, undefined, NOW)).toBeUndefined();
    expect(deprecationOf({ deprecated: false }, undefined, NOW)).toBeUndefined();
    expect(deprecationOf({ sha256: 'ab'.repeat(32) } as never, undefined, NOW)).toBeUndefined();
  });

  it('refuses from the sunset only when after_sunset says "refuse"', () => {
    const refusing = deprecationOf({ sunset: '2027-06-01T00:00:00Z', after_sunset: 'refuse' }, undefined, NOW)!;
    expect(isRefused(refusing, JUNE_2027 - 1)).toBe(false);
    expect(isRefused(refusing, JUNE_2027)).toBe(true);
    for (const config of [{ sunset: '2027-06-01T00:00:00Z' }, { sunset: '2027-06-01T00:00:00Z', after_sunset: 'serve' as const }, { deprecated: true }]) {
      expect(isRefused(deprecationOf(config, undefined, NOW)!, JUNE_2027 + 1e12)).toBe(false);
    }
  });
});

describe('the deprecations in force', () => {
  it("takes the run-time config's entry for a version whole, config.json's for the others", () => {
    const file: Record<string, VersionConfig> = { '1': { deprecated: true, sunset: '2027-06-01T00:00:00Z' }, '2': { deprecated: true }, '3': { sha256: 'ab'.repeat(32) } };
    const overrides = { '2': {}, '3': { sunset: '2028-01-01T00:00:00Z' } };
    const deprecations = deprecationsOf(file, overrides, undefined, NOW);
    expect([...deprecations.keys()]).toEqual([1, 3]);
    expect(deprecations.get(1)?.config).toBe(file['1']);
    expect(deprecations.get(3)?.config).toBe(overrides['3']);
    expect(deprecationsOf(file, undefined, undefined, NOW).size).toBe(2);
  });

  it('hands each loaded version its deprecation when config.json or the run-time config changes, without reloading it', () => {
    const one = new ServingVersion('iris', 1, undefined, {} as never, 'sha');
    const two = new ServingVersion('iris', 2, undefined, {} as never, 'sha');
    const model: ModelStatus = {
      name: 'iris',
      versions: [
        { version: 1, state: 'READY', ready: one },
        { version: 2, state: 'READY', ready: two },
      ],
      labels: {},
      configuredDefault: undefined,
      weights: {},
    };
    const stored = (versions: object) =>
      ({ name: 'iris', configFile: 'iris/config.json', versions: [], config: { labels: {}, weights: {}, versions }, configFingerprint: 'f' }) as never as StoredModel;
    applyFileConfig(model, stored({ '1': { deprecated: true } }));
    expect(one.deprecation?.config).toEqual({ deprecated: true });
    expect(two.deprecation).toBeUndefined();
    applyOverrides(model, { versions: { '1': {}, '2': { sunset: '2027-06-01T00:00:00Z' } } });
    expect(one.deprecation).toBeUndefined();
    expect(two.deprecation?.notice.sunset).toBe('Tue, 01 Jun 2027 00:00:00 GMT');
    applyOverrides(model, undefined);
    expect(one.deprecation?.config).toEqual({ deprecated: true });
    expect(two.deprecation).toBeUndefined();
    expect(() => applyOverrides(model, { versions: { '7': { deprecated: true } } })).toThrow('model "iris" has no version 7');
  });
});

describe('the refusal after a sunset', () => {
  const model = (configuredDefault: number | undefined, versions: object): ModelStatus => {
    const status: ModelStatus = {
      name: 'iris',
      versions: [
        { version: 1, state: 'READY' },
        { version: 2, state: 'READY' },
      ],
      labels: {},
      configuredDefault,
      weights: {},
    };
    status.deprecations = deprecationsOf(versions as never, undefined, undefined, NOW);
    return status;
  };
  const refused = { sunset: '2020-01-01T00:00:00Z', after_sunset: 'refuse', link: 'https://example.com/v1' };

  it('is a 410 naming the version, its sunset and link, and the default version to use, with the notice as headers', () => {
    const iris = model(2, { '1': refused });
    const error = sunsetRefusal(iris, 1, iris.deprecations!.get(1)!, NOW);
    expect(error).toMatchObject({
      code: 'VERSION_SUNSET',
      status: 410,
      message: 'model "iris": version 1 was retired on 2020-01-01T00:00:00Z (its sunset) (see https://example.com/v1); use the default version 2',
      headers: { deprecation: '@1577836800', sunset: 'Wed, 01 Jan 2020 00:00:00 GMT', link: expect.stringContaining('rel="sunset"') },
    });
  });

  it('says so when the default version is the retired one, or is retired too', () => {
    const itself = model(1, { '1': refused });
    expect(sunsetRefusal(itself, 1, itself.deprecations!.get(1)!, NOW).message).toMatch(
      /; it is the default version too, so requests that name no version are refused as well: make another version the default$/,
    );
    const both = model(2, { '1': refused, '2': refused });
    expect(sunsetRefusal(both, 1, both.deprecations!.get(1)!, NOW).message).toMatch(/; the default version 2 is past its sunset too$/);
    const none = model(undefined, { '1': refused });
    none.versions = [{ version: 1, state: 'FAILED' }];
    expect(sunsetRefusal(none, 1, none.deprecations!.get(1)!, NOW).message).toMatch(/; the model has no default version to use instead$/);
  });
});
