import { describe, expect, it } from 'vitest';
import { describePoisoningKey, poisoningKeyPath } from './json-poisoning';

describe('poisoningKeyPath', () => {
  it('finds "__proto__" at any depth, in objects and arrays, and names its path', () => {
    expect(poisoningKeyPath(JSON.parse('{"__proto__": 1}'))).toBe('__proto__');
    expect(poisoningKeyPath(JSON.parse('{"weights": {"1": {"__proto__": {"x": 1}}}}'))).toBe('weights.1.__proto__');
    expect(poisoningKeyPath(JSON.parse('{"instances": [[1], {"a": [{"__proto__": null}]}]}'))).toBe('instances[1].a[0].__proto__');
  });

  it('finds "constructor" only with a "prototype" in it: a plain "constructor" key is a name like any other', () => {
    expect(poisoningKeyPath(JSON.parse('{"labels": {"constructor": {"prototype": 1}}}'))).toBe('labels.constructor.prototype');
    expect(poisoningKeyPath(JSON.parse('{"labels": {"constructor": 1, "toString": 2, "prototype": 3}}'))).toBeUndefined();
  });

  it('finds nothing in values without such keys', () => {
    for (const value of [null, 1, 'x', [], {}, { a: [1, { b: 'constructor' }] }]) expect(poisoningKeyPath(value)).toBeUndefined();
  });

  it('words the refusal with the key and its path', () => {
    expect(describePoisoningKey('weights.1.__proto__')).toBe('weights.1.__proto__: the key "__proto__" is not allowed anywhere in a request');
    expect(describePoisoningKey('labels.constructor.prototype')).toBe(
      'labels.constructor.prototype: the key "constructor.prototype" is not allowed anywhere in a request',
    );
  });
});
