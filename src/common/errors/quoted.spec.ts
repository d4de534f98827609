import { describe, expect, it } from 'vitest';
import { quoted, shortened } from './quoted';

describe('shortened', () => {
  it('keeps a string within the limit as it is, and cuts a longer one there, marking the cut', () => {
    expect(shortened('x'.repeat(64))).toBe('x'.repeat(64));
    expect(shortened('x'.repeat(65))).toBe(`${'x'.repeat(64)}...`);
    expect(shortened('abcdef', 3)).toBe('abc...');
    expect(shortened('abcdef', 3, '... (cut)')).toBe('abc... (cut)');
  });
});

describe('quoted', () => {
  it('quotes as JSON, so that quotes and control characters cannot bend the message', () => {
    expect(quoted('stable')).toBe('"stable"');
    expect(quoted('a"b\n')).toBe('"a\\"b\\n"');
    expect(quoted('9'.repeat(200))).toBe(`"${'9'.repeat(64)}..."`);
    expect(quoted('x'.repeat(41), 40)).toBe(`"${'x'.repeat(40)}..."`);
  });
});
