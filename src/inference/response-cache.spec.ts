import { describe, expect, it } from 'vitest';
import { ResponseCache } from './response-cache';
import type { TensorMap } from './tensors';

const feeds = (values: number[], dims = [1, values.length]): TensorMap => ({ input: { type: 'float32', dims, data: Float32Array.from(values) } });
const outputs = (bytes: number): TensorMap => ({ y: { type: 'float32', dims: [bytes / 4], data: new Float32Array(bytes / 4) } });

describe('ResponseCache', () => {
  it('keys on every input byte, the datatype, the shape and the outputs asked for', () => {
    const cache = new ResponseCache(1 << 20);
    const key = cache.keyOf(feeds([1, 2, 3, 4]), undefined);
    expect(cache.keyOf(feeds([1, 2, 3, 4]), undefined)).toBe(key);
    expect(cache.keyOf(feeds([1, 2, 3, 5]), undefined)).not.toBe(key);
    expect(cache.keyOf(feeds([1, 2, 3, 4], [2, 2]), undefined)).not.toBe(key);
    expect(cache.keyOf({ input: { type: 'int32', dims: [1, 4], data: Int32Array.from([1, 2, 3, 4]) } }, undefined)).not.toBe(key);
    expect(cache.keyOf(feeds([1, 2, 3, 4]), ['y'])).not.toBe(key);
    expect(cache.keyOf({ text: { type: 'string', dims: [1], data: ['a'] } }, undefined)).not.toBe(cache.keyOf({ text: { type: 'string', dims: [1], data: ['b'] } }, undefined));
  });

  it('stays within max_bytes, dropping the least recently used answers and counting them', () => {
    const cache = new ResponseCache(4096);
    for (let i = 0; i < 10; i++) cache.set(`k${i}`, outputs(1024));
    expect(cache.bytes).toBeLessThanOrEqual(4096);
    expect(cache.evictions).toBeGreaterThan(0);
    expect(cache.get('k9')).toBeDefined();
    expect(cache.get('k0')).toBeUndefined();
  });

  it('keeps a recently read answer over older ones', () => {
    const cache = new ResponseCache(4096);
    cache.set('a', outputs(1024));
    cache.set('b', outputs(1024));
    cache.set('c', outputs(1024));
    cache.get('a');
    cache.set('d', outputs(1024));
    expect(cache.get('a')).toBeDefined();
    expect(cache.get('b')).toBeUndefined();
  });

  it('does not keep an answer larger than the whole cache', () => {
    const cache = new ResponseCache(2048);
    cache.set('big', outputs(4096));
    expect(cache.get('big')).toBeUndefined();
    expect(cache.bytes).toBe(0);
  });
});
