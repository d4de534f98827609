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

describe('jsonLimitExceeded with limits fixed in code', () => {
  const FIXED = { maxDepth: 2, maxContainers: 3, maxKeys: 3, fixedFor: 'the admin API limit' };

  it('counts object keys, not colons inside strings, and names whose limits they are', () => {
    expect(jsonLimitExceeded('{"a":{"b:c":1,"d":"e:f"}}', FIXED)).toBeUndefined();
    expect(jsonLimitExceeded('{"a":1,"b":2,"c":3,"d":4}', FIXED)).toBe('has more than 3 object keys (the admin API limit)');
    expect(jsonLimitExceeded('{"a":{"b":[1]}}', FIXED)).toBe('is nested deeper than 2 levels (the admin API limit)');
    expect(jsonLimitExceeded('[[],[],[]]', FIXED)).toBe('has more than 3 arrays and objects (the admin API limit)');
  });

  it('leaves keys unbounded when no bound is given', () => {
    expect(jsonLimitExceeded(JSON.stringify(Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`k${i}`, i]))), LIMITS)).toBeUndefined();
  });
});
