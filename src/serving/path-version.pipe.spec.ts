import { describe, expect, it } from 'vitest';
import { ParsePathVersionPipe } from './path-version.pipe';

describe('ParsePathVersionPipe', () => {
  const pipe = new ParsePathVersionPipe();

  it('reads a version folder name', () => {
    expect(pipe.transform('1')).toEqual({ number: 1 });
    expect(pipe.transform('123456789')).toEqual({ number: 123456789 });
  });

  it('refuses, quoting it, whatever a folder could not be named: 0, leading zeros, exponents, signs, words', () => {
    for (const raw of ['0', '01', '1e3', '+1', '-1', '1.0', 'one', '', '1234567890']) {
      expect(() => pipe.transform(raw)).toThrow(
        expect.objectContaining({
          code: 'BAD_REQUEST',
          message: `the version in the path must be a positive integer (e.g. /versions/1), got ${JSON.stringify(raw)}`,
        }),
      );
    }
  });

  it('cuts a long value in its message', () => {
    expect(() => pipe.transform('9'.repeat(200))).toThrow(`got "${'9'.repeat(64)}..."`);
  });
});
