import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { ApiKeyStore } from './api-key-store';

const digest = (key: string) => createHash('sha256').update(key).digest('hex');
const content = (...keys: [id: string, key: string][]) => JSON.stringify({ keys: keys.map(([id, key]) => ({ id, sha256: digest(key), models: ['iris'] })) });

describe('ApiKeyStore', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'keys-'));
  const file = path.join(dir, 'keys.json');
  const logger = { log: vi.fn(), warn: vi.fn() };
  afterEach(() => {
    vi.clearAllMocks();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('finds the caller of a key by its digest, and no caller for any other string', () => {
    writeFileSync(file, content(['a', 'key-a'], ['b', 'key-b']));
    const store = new ApiKeyStore(file, logger);
    expect(store.find('key-a')?.id).toBe('a');
    expect(store.find('key-b')?.id).toBe('b');
    expect(store.find('key-c')).toBeUndefined();
    expect(store.find(digest('key-a'))).toBeUndefined();
    expect(store.status()).toEqual({ file, keys: 2, valid: true });
  });

  it('takes a changed file at the next check; keeps the last good keys while it is broken or gone, warning once per problem', async () => {
    writeFileSync(file, content(['a', 'key-a']));
    const store = new ApiKeyStore(file, logger);
    await store.recheck();
    writeFileSync(file, content(['b', 'key-b'], ['c', 'key-c']));
    await store.recheck();
    expect([store.find('key-a'), store.find('key-b')?.id]).toEqual([undefined, 'b']);

    writeFileSync(file, '{"keys": [{"id": "x"}]}');
    await store.recheck();
    await store.recheck();
    expect(store.find('key-b')?.id).toBe('b');
    expect(store.status()).toMatchObject({ keys: 2, valid: false, problem: expect.stringMatching(/^keys\[0\]\.sha256 must be 64 hexadecimal digits/) });
    expect(logger.warn).toHaveBeenCalledTimes(1);

    unlinkSync(file);
    await store.recheck();
    expect(store.status().problem).toBe('cannot be read: ENOENT');
    expect(store.find('key-c')?.id).toBe('c');

    writeFileSync(file, content(['b', 'key-b'], ['c', 'key-c']));
    await store.recheck();
    expect(store.status()).toEqual({ file, keys: 2, valid: true });
    expect(logger.warn).toHaveBeenCalledTimes(2);
    expect(logger.log).toHaveBeenCalledWith(`API_KEYS_FILE ${file} is valid again`);
  });

  it('refuses to start on a file it cannot read or parse, naming the file', () => {
    expect(() => new ApiKeyStore(path.join(dir, 'none.json'), logger)).toThrow(/^API_KEYS_FILE .*none\.json cannot be read \(ENOENT/);
    writeFileSync(file, '{"keys": {}}');
    expect(() => new ApiKeyStore(file, logger)).toThrow(`API_KEYS_FILE ${file} must be a JSON object`);
  });
});
