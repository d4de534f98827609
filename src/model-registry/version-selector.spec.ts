import { describe, expect, it } from 'vitest';
import { parseVersionSelector } from './version-selector';

describe('parseVersionSelector', () => {
  it.each([
    [undefined, { kind: 'default' }],
    ['', { kind: 'default' }],
    [' 3 ', { kind: 'number', version: 3 }],
    ['12', { kind: 'number', version: 12 }],
    ['stable', { kind: 'label', label: 'stable' }],
    ['canary-2', { kind: 'label', label: 'canary-2' }],
  ])('reads %j', (raw, expected) => {
    expect(parseVersionSelector(raw)).toEqual(expected);
  });

  it.each(['0', '01', '-1', '1.5', '../1', 'a b', 'x'.repeat(65), '9999999999'])('refuses %j with a 400', (raw) => {
    expect(() => parseVersionSelector(raw)).toThrow(/X-Model-Version must be a positive integer version or a label/);
  });

  it('refuses the header given twice', () => {
    expect(() => parseVersionSelector(['1', '2'])).toThrow('X-Model-Version must be given once');
  });
});
