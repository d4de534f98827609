import { describe, expect, it } from 'vitest';
import { parseVersionSelector } from './requested-version';

describe('parseVersionSelector', () => {
  it.each([
    [undefined, { kind: 'default' }],
    ['', { kind: 'default' }],
    ['12', { kind: 'number', version: 12 }],
    ['stable', { kind: 'label', label: 'stable' }],
    ['canary-2', { kind: 'label', label: 'canary-2' }],
  ])('reads %j', (raw, expected) => {
    expect(parseVersionSelector(raw)).toEqual(expected);
  });

  it.each(['0', '01', '-1', '1.5', '+1', '1e3', '../1', 'a b', 'x'.repeat(65), '9999999999'])('refuses %j with a 400', (raw) => {
    expect(() => parseVersionSelector(raw)).toThrow(/X-Model-Version must be a positive integer version or a label/);
  });

  // The rule of /versions/{v} in the path: a number padded with whitespace is not a version, wherever it is written.
  it.each([' 1', '1 ', ' 3 ', '\t2', '1\n', ' ', ' stable'])('refuses %j, showing the value as sent', (raw) => {
    expect(() => parseVersionSelector(raw, undefined, { version: 'the model_version field', requestKey: 'x-request-key' })).toThrow(
      `the model_version field must be a positive integer version or a label: a version is digits only, without a leading zero or spaces (e.g. 1); a label starts with a letter, then letters, digits, _ . - (e.g. stable); got ${JSON.stringify(raw)}`,
    );
  });

  it('refuses the header given twice', () => {
    expect(() => parseVersionSelector(['1', '2'])).toThrow('X-Model-Version must be given once');
  });
});
