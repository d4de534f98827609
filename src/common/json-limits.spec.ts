import { describe, expect, it } from 'vitest';
import { jsonLimitExceeded, jsonNestedDeeperThan } from './json-limits';

const LIMITS = { maxDepth: 4, maxContainers: 10 };

describe('jsonLimitExceeded', () => {
  it('passes JSON within both limits', () => {
    expect(jsonLimitExceeded('{"a":[[1,2],[3]],"b":{"c":[]}}', LIMITS)).toBeUndefined();
    expect(jsonLimitExceeded('[[[[1]]]]', LIMITS)).toBeUndefined();
  });

  it('names MAX_JSON_DEPTH when nesting goes deeper', () => {
    expect(jsonLimitExceeded('[[[[[1]]]]]', LIMITS)).toBe('is nested deeper than 4 levels (MAX_JSON_DEPTH)');
  });

  it('names MAX_JSON_CONTAINERS when there are more arrays and objects, however flat', () => {
    const flat = `{"inputs":[${Array.from({ length: 10 }, () => '{}').join(',')}]}`;
    expect(jsonLimitExceeded(flat, LIMITS)).toMatch(/^has more than 10 arrays and objects \(MAX_JSON_CONTAINERS\)/);
    expect(jsonLimitExceeded(`[${Array.from({ length: 9 }, () => '[]').join(',')}]`, LIMITS)).toBeUndefined();
  });

  it('does not count brackets inside strings, escaped quotes included', () => {
    expect(jsonLimitExceeded(JSON.stringify({ text: '[[[[[[{{{{{{{{{{{{ \\" [[[[' }), LIMITS)).toBeUndefined();
  });
});

describe('jsonNestedDeeperThan', () => {
  it('finds nesting deeper than the bound in one pass, whatever the depth, and ignores brackets in strings', () => {
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    expect(jsonNestedDeeperThan(deep, 64)).toBe(true);
    expect(jsonNestedDeeperThan('[[[[1]]]]', 4)).toBe(false);
    expect(jsonNestedDeeperThan(JSON.stringify({ text: '[[[[[[[[' }), 2)).toBe(false);
    expect(jsonNestedDeeperThan(`[${Array.from({ length: 1000 }, () => '{}').join(',')}]`, 2)).toBe(false);
  });
});
