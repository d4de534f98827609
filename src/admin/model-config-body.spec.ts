import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../common/errors/domain-error';
import { MAX_CONFIG_MAP_ENTRIES } from './admin-routes';
import { parseModelConfigBody } from './model-config-body';

function refusal(body: string): string {
  try {
    parseModelConfigBody(JSON.parse(body));
  } catch (error) {
    if (error instanceof InvalidInputError) return error.message;
    throw error;
  }
  throw new Error(`${body} was accepted`);
}

describe('parseModelConfigBody', () => {
  it('takes the fields a body has, labels named after Object.prototype members included', () => {
    const body = JSON.parse('{"default_version": 2, "labels": {"stable": 1, "toString": 2, "constructor": 1, "hasOwnProperty": 2}, "weights": {"1": 90, "2": 10}}');
    const overrides = parseModelConfigBody(body);
    expect(overrides).toEqual({ default_version: 2, labels: { stable: 1, toString: 2, constructor: 1, hasOwnProperty: 2 }, weights: { '1': 90, '2': 10 } });
    expect(Object.hasOwn(overrides.labels!, 'constructor')).toBe(true);
    expect(parseModelConfigBody({ weights: {} })).toEqual({ weights: {} });
  });

  it.each([
    ['{"canary": {"foo": 1}}', 'canary: property canary should not exist'],
    ['{"hasOwnProperty": 1}', 'hasOwnProperty: property hasOwnProperty should not exist'],
    ['{"constructor": {"a": 1}, "labels": {}}', 'constructor: property constructor should not exist'],
    ['{"valueOf": 1, "default_version": 1}', 'valueOf: property valueOf should not exist'],
    ['{"versions": {"1": {"deprecated": true, "sunet": "2027-06-01T00:00:00Z"}}}', 'request body: versions.1: sunet: property sunet should not exist'],
  ])('refuses the unknown key of %s by its name', (body, message) => {
    expect(refusal(body)).toBe(message);
  });

  it('takes deprecations per version, and refuses a sha256 there, saying it belongs to config.json', () => {
    const versions = { '1': { deprecated: '2026-12-01T00:00:00Z', sunset: '2027-06-01T00:00:00Z', link: 'https://example.com/v1', after_sunset: 'refuse' }, '2': {} };
    expect(parseModelConfigBody({ versions })).toEqual({ versions });
    // The declared digests describe the files on disk: config.json only, never a run-time override.
    expect(refusal(`{"versions": {"1": {"deprecated": true, "sha256": "${'ab'.repeat(32)}"}}}`)).toBe(
      "request body: versions.1: sha256 is set in the model's config.json only (a digest describes the files on disk, not a run-time choice); " +
        'the run-time config sets deprecated, sunset, link, after_sunset',
    );
  });

  it.each([
    ['{"versions": {"1": {"deprecated": "soon"}}}', 'request body: versions.1: deprecated must be true, false or an RFC 3339 date-time'],
    ['{"versions": {"1": {"sunset": 1780272000}}}', 'request body: versions.1: sunset must be an RFC 3339 date-time with a time zone, such as "2027-12-01T00:00:00Z"; got a number'],
    ['{"versions": {"1": {"deprecated": true, "link": "ftp://example.com"}}}', 'request body: versions.1: link must be an absolute http or https URL'],
    ['{"versions": {"1": {"deprecated": true, "after_sunset": "refuse"}}}', 'request body: versions.1: after_sunset "refuse" needs a sunset'],
    ['{"versions": {"1": {"deprecated": true, "after_sunset": "drop"}}}', 'request body: versions.1: after_sunset must be "serve" or "refuse"; got "drop"'],
    ['{"versions": {"v1": {"deprecated": true}}}', 'request body: versions.v1: versions key "v1" must be a version number'],
    ['{"versions": {"1": [true]}}', 'request body: versions.1: version 1 must have an object of settings, such as {"deprecated": true}'],
  ])('refuses the deprecation %s with the message config.json gets', (body, message) => {
    expect(refusal(body)).toContain(message);
  });

  it.each([
    ['{"weights": {"x": {"y": 1}}}', 'weights.x'],
    ['{"weights": {"1": {"constructor": 1}}}', 'weights.1'],
    ['{"weights": {"constructor": 1}}', 'weights.constructor'],
    ['{"labels": {"constructor": {"a": 1}}}', 'labels.constructor'],
    ['{"labels": {"toString": "1"}}', 'labels.toString'],
    ['{"labels": {"prototype": 0}}', 'labels.prototype'],
    ['{"labels": {"1bad": 1}}', 'labels.1bad'],
    ['{"default_version": {"constructor": 1}}', 'default_version must be an integer number'],
    ['{"labels": [1]}', 'labels must be an object'],
  ])('refuses %s naming %s', (body, named) => {
    const message = refusal(body);
    expect(message).toContain(named);
    expect(message).not.toContain('undefined');
  });

  it('bounds the labels and the weights before looking at them, naming the field and the bound', () => {
    const labels = Object.fromEntries(Array.from({ length: MAX_CONFIG_MAP_ENTRIES + 1 }, (_, i) => [`l${i}`, 1]));
    expect(refusal(JSON.stringify({ labels }))).toBe(`labels must NOT have more than ${MAX_CONFIG_MAP_ENTRIES} properties, got ${MAX_CONFIG_MAP_ENTRIES + 1}`);
    const weights = Object.fromEntries(Array.from({ length: MAX_CONFIG_MAP_ENTRIES + 5 }, (_, i) => [`${i + 1}`, 'x']));
    expect(refusal(JSON.stringify({ weights }))).toContain(`weights must NOT have more than ${MAX_CONFIG_MAP_ENTRIES} properties`);
    const versions = Object.fromEntries(Array.from({ length: MAX_CONFIG_MAP_ENTRIES + 1 }, (_, i) => [`${i + 1}`, {}]));
    expect(refusal(JSON.stringify({ versions }))).toBe(`versions must NOT have more than ${MAX_CONFIG_MAP_ENTRIES} properties, got ${MAX_CONFIG_MAP_ENTRIES + 1}`);
  });

  it('refuses a body that is not an object', () => {
    for (const body of ['[]', 'null', '1', '"x"']) expect(refusal(body)).toBe('request body must be a JSON object');
  });
});

describe('parseModelConfigBody: "shadow"', () => {
  it('takes a shadow, or null to turn one off', () => {
    expect(parseModelConfigBody({ shadow: { version: 'canary', sample: 0.25, top_k: 2 } })).toEqual({ shadow: { version: 'canary', sample: 0.25, top_k: 2 } });
    expect(parseModelConfigBody({ shadow: null, default_version: 1 })).toEqual({ default_version: 1, shadow: null });
  });

  it.each([
    ['{"shadow": {"version": 2}}', 'shadow.sample must be a number'],
    ['{"shadow": {"version": 2, "sample": 2}}', 'shadow.sample must not be greater than 1'],
    ['{"shadow": {"version": "1x!", "sample": 0.5}}', 'shadow.version must be a version number (an integer >= 1) or a label'],
    ['{"shadow": {"version": 2, "sample": 0.5, "every": 1}}', 'shadow.every: property every should not exist'],
    ['{"shadow": 2}', 'shadow'],
  ])('refuses %s naming the field', (body, message) => {
    expect(refusal(body)).toContain(message);
  });
});

describe('parseModelConfigBody: keys named after Object.prototype members inside "shadow"', () => {
  it.each(['constructor', 'toString', '__proto__', 'hasOwnProperty'])('refuses %s by its name and path', (key) => {
    expect(refusal(`{"shadow": {"version": 2, "sample": 0.5, "${key}": 1}}`)).toBe(`shadow.${key}: property ${key} should not exist`);
  });
});
