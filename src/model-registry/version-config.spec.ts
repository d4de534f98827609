import { describe, expect, it } from 'vitest';
import { parseModelConfig, parseModelOverrides } from './model-config';

const DIGEST = 'd3ba496add20dcf3f4f676133bb0a779f94779f77a1fa58345d9ab51ab006c43';

function refusal(json: string): string {
  try {
    parseModelConfig(JSON.parse(json), 'iris/config.json');
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error(`${json} was accepted`);
}

describe('the "versions" section of config.json', () => {
  it('takes a sha256 per version beside the other fields, upper case too, and holds it lower case', () => {
    const config = parseModelConfig(
      JSON.parse(`{"default_version": 1, "versions": {"1": {"sha256": "${DIGEST.toUpperCase()}"}, "2": {"sha256": "${DIGEST}"}, "3": {}}}`),
      'iris/config.json',
    );
    expect(config.versions).toEqual({ '1': { sha256: DIGEST }, '2': { sha256: DIGEST }, '3': {} });
    expect(config.default_version).toBe(1);
    expect(parseModelConfig({}, 'iris/config.json').versions).toEqual({});
  });

  it.each([
    [`"${DIGEST.slice(1)}"`, 'got 63 characters'],
    [`"${DIGEST}0"`, 'got 65 characters'],
    [`"sha256:${DIGEST.slice(7)}"`, 'got a character other than 0-9, a-f and A-F'],
    [`"${DIGEST.slice(0, 63)}g"`, 'got a character other than 0-9, a-f and A-F'],
    [`"${DIGEST}  model.onnx"`, 'got 76 characters'],
    ['""', 'got 0 characters'],
    ['42', 'got a number'],
    ['null', 'got null'],
    [`["${DIGEST}"]`, 'got an array'],
  ])('refuses sha256 %s, naming the file, the version and what is wrong', (value, wrong) => {
    expect(refusal(`{"versions": {"3": {"sha256": ${value}}}}`)).toBe(
      `iris/config.json: versions.3: sha256 must be 64 hexadecimal digits, as \`sha256sum model.onnx\` prints them; ${wrong}`,
    );
  });

  it.each([
    [`{"versions": {"3": "${DIGEST}"}}`, 'iris/config.json: versions.3: version 3 must have an object of settings, such as {"sha256": "<64 hex digits>"}'],
    ['{"versions": {"3": null}}', 'iris/config.json: versions.3: version 3 must have an object of settings, such as {"sha256": "<64 hex digits>"}'],
    ['{"versions": {"3": []}}', 'iris/config.json: versions.3: version 3 must have an object of settings, such as {"sha256": "<64 hex digits>"}'],
    ['{"versions": []}', 'iris/config.json: versions must be an object'],
    ['{"versions": "3"}', 'iris/config.json: versions must be an object'],
    ['{"versions": {"v3": {}}}', 'iris/config.json: versions.v3: versions key "v3" must be a version number'],
    ['{"versions": {"03": {}}}', 'iris/config.json: versions.03: versions key "03" must be a version number'],
    ['{"versions": {"constructor": {}}}', 'iris/config.json: versions.constructor: versions key "constructor" must be a version number'],
    ['{"versions": {"3": {"sha265": "x"}}}', 'iris/config.json: versions.3: sha265: property sha265 should not exist'],
    // Keys named after Object.prototype members are unknown keys too, not dropped unseen.
    ['{"versions": {"3": {"constructor": {"a": 1}}}}', 'iris/config.json: versions.3: constructor: property constructor should not exist'],
    ['{"versions": {"3": {"deprecated": true, "toString": 1}}}', 'iris/config.json: versions.3: toString: property toString should not exist'],
    ['{"versions": {"3": {"__proto__": {"deprecated": true}}}}', 'iris/config.json: versions.3: __proto__: property __proto__ should not exist'],
    // A nested value where a plain one belongs is refused as such, whatever it holds.
    ['{"versions": {"3": {"sha256": {"constructor": 1}}}}', 'iris/config.json: versions.3: sha256 must be 64 hexadecimal digits, as `sha256sum model.onnx` prints them; got an object'],
  ])('refuses %s', (json, message) => {
    expect(refusal(json)).toBe(message);
  });

  it('keeps sha256 to config.json: the admin API run-time overrides refuse it by name, saying where it belongs', () => {
    expect(() => parseModelOverrides({ versions: { '1': { sha256: DIGEST } } }, 'request body')).toThrow(
      "request body: versions.1: sha256 is set in the model's config.json only (a digest describes the files on disk, not a run-time choice); " +
        'the run-time config sets deprecated, sunset, link, after_sunset',
    );
  });
});
