import { describe, expect, it } from 'vitest';
import { parseApiKeysFile } from './api-keys-file';

const DIGEST = 'a'.repeat(64);
const file = (keys: unknown, extra: Record<string, unknown> = {}) => JSON.stringify({ keys, ...extra });

describe('parseApiKeysFile', () => {
  it('reads each key as its digest and a caller allowed its models ("*": all)', () => {
    const [iris, all] = parseApiKeysFile(file([{ id: 'team-a', sha256: DIGEST, models: ['iris'] }, { id: 'ops@example', sha256: 'B'.repeat(64), models: ['*'] }]));
    expect(iris.digest).toEqual(Buffer.from(DIGEST, 'hex'));
    expect([iris.caller.id, iris.caller.mayUse('iris'), iris.caller.mayUse('digits')]).toEqual(['team-a', true, false]);
    expect([all.caller.id, all.caller.mayUse('anything')]).toEqual(['ops@example', true]);
    expect(parseApiKeysFile('{"keys": []}')).toEqual([]);
  });

  it('names every problem of a broken file at once', () => {
    const broken = file(
      [
        { id: 'a', sha256: DIGEST, models: ['iris'] },
        { id: 'a', sha256: DIGEST.toUpperCase(), models: ['iris', '../etc', 3], note: 'x' },
        'text',
        { id: ' spaced', sha256: 'zz', models: 'iris' },
      ],
      { version: 2 },
    );
    expect(() => parseApiKeysFile(broken)).toThrow(
      'unknown field "version" (the file holds only "keys"); ' +
        'keys[1] has an unknown field "note" (fields: id, sha256, models); keys[1].id "a" is used twice; ' +
        'keys[1].sha256 is the digest of a key listed before it: one key, one id; keys[1].models[1] "../etc" is not a model name or "*"; ' +
        'keys[1].models[2] 3 is not a model name or "*"; keys[2] must be an object {"id", "sha256", "models"}; ' +
        'keys[3].id must be 1 to 128 letters, digits and _ . @ : - starting with a letter or digit; ' +
        'keys[3].sha256 must be 64 hexadecimal digits: the SHA-256 of the key (e.g. printf %s "$KEY" | sha256sum); ' +
        'keys[3].models must list the models the key may use, or "*" for all',
    );
  });

  it('refuses what is not the documented shape', () => {
    expect(() => parseApiKeysFile('{"keys": [')).toThrow(/^is not valid JSON: /);
    expect(() => parseApiKeysFile('[]')).toThrow('must be a JSON object {"keys": [{"id": ..., "sha256": ..., "models": [...]}]}');
    expect(() => parseApiKeysFile('{"keys": [{"id": "a", "sha256": "' + DIGEST + '", "models": ["iris"], "__proto__": {}}]}')).toThrow(
      'keys[0] has an unknown field "__proto__" (fields: id, sha256, models)',
    );
  });
});
