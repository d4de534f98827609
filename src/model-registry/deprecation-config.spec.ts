import { describe, expect, it } from 'vitest';
import { parseModelConfig, parseModelOverrides } from './model-config';

const FILE = 'iris/config.json';

function refusal(version: object): string {
  try {
    parseModelConfig({ versions: { '1': version } }, FILE);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error(`${JSON.stringify(version)} was accepted`);
}

describe('a version deprecation in config.json', () => {
  it('takes deprecated (true, false or a date-time), sunset, link and after_sunset beside sha256', () => {
    const versions = {
      '1': { deprecated: '2026-12-01T00:00:00Z', sunset: '2027-06-01T00:00:00+02:00', link: 'https://example.com/iris-v1', after_sunset: 'refuse' },
      '2': { deprecated: true, sha256: 'AB'.repeat(32) },
      '3': { sunset: '2027-06-01T00:00:00.123456789z' },
      '4': { deprecated: false },
      '5': { deprecated: '2027-06-01t10:00:00-05:30', sunset: '2027-06-01T15:30:00Z', after_sunset: 'serve' },
    };
    const parsed = parseModelConfig({ versions }, FILE).versions;
    expect(parsed).toEqual({ ...versions, '2': { deprecated: true, sha256: 'ab'.repeat(32) } });
  });

  it.each([
    [{ deprecated: 'yes' }, 'deprecated must be true, false or an RFC 3339 date-time with a time zone, such as "2027-06-01T00:00:00Z"; got "yes": not of the form YYYY-MM-DDThh:mm:ss with a time zone (Z or ±hh:mm)'],
    [{ deprecated: '2027-06-01' }, 'deprecated must be true, false or an RFC 3339 date-time with a time zone, such as "2027-06-01T00:00:00Z"; got "2027-06-01": not of the form YYYY-MM-DDThh:mm:ss with a time zone (Z or ±hh:mm)'],
    [{ deprecated: 1 }, 'deprecated must be true, false or an RFC 3339 date-time with a time zone, such as "2027-06-01T00:00:00Z"; got a number'],
    [{ deprecated: null }, 'deprecated must be true, false or an RFC 3339 date-time with a time zone, such as "2027-06-01T00:00:00Z"; got null'],
    [{ sunset: '2027-06-01T00:00:00' }, 'sunset must be an RFC 3339 date-time with a time zone, such as "2027-12-01T00:00:00Z"; got "2027-06-01T00:00:00": not of the form YYYY-MM-DDThh:mm:ss with a time zone (Z or ±hh:mm)'],
    [{ sunset: '2027-02-29T00:00:00Z' }, 'sunset must be an RFC 3339 date-time with a time zone, such as "2027-12-01T00:00:00Z"; got "2027-02-29T00:00:00Z": day 29 does not exist in 2027-02'],
    [{ sunset: '2027-13-01T00:00:00Z' }, 'got "2027-13-01T00:00:00Z": month 13 does not exist'],
    [{ sunset: '2027-06-01T24:00:00Z' }, 'got "2027-06-01T24:00:00Z": time 24:00:00 does not exist'],
    [{ sunset: '2027-06-01T00:00:00+24:00' }, 'got "2027-06-01T00:00:00+24:00": time zone +24:00 does not exist'],
    [{ sunset: true }, 'sunset must be an RFC 3339 date-time with a time zone, such as "2027-12-01T00:00:00Z"; got a boolean'],
    [{ deprecated: true, link: 'example.com/iris' }, 'link must be an absolute http or https URL, such as "https://example.com/iris-v1-retirement"; got "example.com/iris", not an absolute URL'],
    [{ deprecated: true, link: 'javascript:alert(1)' }, 'link must be an absolute http or https URL, such as "https://example.com/iris-v1-retirement"; got "javascript:alert(1)", a javascript URL'],
    [{ deprecated: true, link: 'https://user:secret@example.com/' }, 'got "https://user:secret@example.com/", which holds a user name or password'],
    [{ deprecated: true, link: `https://example.com/${'a'.repeat(2048)}` }, 'got 2068 characters, more than 2048'],
    [{ deprecated: true, link: ['https://example.com'] }, 'link must be an absolute http or https URL, such as "https://example.com/iris-v1-retirement"; got an array'],
    [{ sunset: '2027-06-01T00:00:00Z', after_sunset: 'deny' }, 'after_sunset must be "serve" or "refuse"; got "deny"'],
    [{ deprecated: true, sunset: '2027-06-01T00:00:00Z', after: 'refuse' }, 'after: property after should not exist'],
  ])('refuses %j, naming the file, the version and what is wrong', (version, message) => {
    expect(refusal(version)).toContain(`${FILE}: versions.1: `);
    expect(refusal(version)).toContain(message);
  });

  it.each([
    [
      { deprecated: '2027-06-01T00:00:00Z', sunset: '2027-05-31T23:59:59Z' },
      'sunset 2027-05-31T23:59:59Z is before deprecated 2027-06-01T00:00:00Z: a version is deprecated first, then sunset',
    ],
    // The same instant written in two zones is not "before".
    [{ deprecated: '2027-06-01T02:00:00+02:00', sunset: '2027-06-01T00:00:00Z' }, undefined],
    [{ deprecated: true, after_sunset: 'refuse' }, 'after_sunset "refuse" needs a sunset: the date after which it applies'],
    [{ after_sunset: 'serve' }, 'after_sunset "serve" needs a sunset: the date after which it applies'],
    [{ deprecated: false, sunset: '2027-06-01T00:00:00Z' }, 'deprecated is false but sunset is set: a version with a sunset is deprecated; remove one of them'],
    [{ link: 'https://example.com/' }, 'link needs deprecated or sunset: it tells clients about a deprecation, and is sent only with one'],
    [{ deprecated: false, link: 'https://example.com/' }, 'link needs deprecated or sunset: it tells clients about a deprecation, and is sent only with one'],
  ])('refuses keys that do not go together: %j', (version, message) => {
    if (message === undefined) expect(() => parseModelConfig({ versions: { '1': version } }, FILE)).not.toThrow();
    else expect(refusal(version)).toBe(`${FILE}: versions.1: ${message}`);
  });

  it('is taken by the admin API run-time config too, with the same rules and messages', () => {
    const versions = { '1': { deprecated: true, sunset: '2027-06-01T00:00:00Z' }, '2': {} };
    expect(parseModelOverrides({ versions }, 'request body')).toEqual({ versions });
    expect(() => parseModelOverrides({ versions: { '1': { sunset: '2027-06-01' } } }, 'request body')).toThrow(
      'request body: versions.1: sunset must be an RFC 3339 date-time with a time zone',
    );
    expect(() => parseModelOverrides({ versions: { '1': { after_sunset: 'refuse' } } }, 'request body')).toThrow(
      'request body: versions.1: after_sunset "refuse" needs a sunset',
    );
    // No `versions` in the body: config.json's deprecations stay as they are.
    expect(parseModelOverrides({ default_version: 2 }, 'request body')).toEqual({ default_version: 2 });
  });
});
