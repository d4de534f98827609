import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/app-config';
import { authFilesProblem } from './auth-sources';

describe('authFilesProblem (checked by main.ts before any process starts)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'auth-files-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, content: string) => {
    const at = path.join(dir, name);
    writeFileSync(at, content);
    return at;
  };
  const jwt = { PREDICT_AUTH: 'jwt', JWT_ISSUER: 'https://idp', JWT_AUDIENCE: 'me' };

  it('finds nothing wrong with PREDICT_AUTH off, good files, or a JWKS URL (fetched later, not at start)', () => {
    expect(authFilesProblem(loadConfig({}))).toBeUndefined();
    expect(authFilesProblem(loadConfig({ PREDICT_AUTH: 'keys', API_KEYS_FILE: file('keys.json', '{"keys": []}') }))).toBeUndefined();
    expect(authFilesProblem(loadConfig({ ...jwt, JWT_JWKS_FILE: file('jwks.json', '{"keys": [{"kty": "EC", "crv": "P-256", "x": "a", "y": "b"}]}') }))).toBeUndefined();
    expect(authFilesProblem(loadConfig({ ...jwt, JWT_JWKS_URL: 'https://idp/jwks' }))).toBeUndefined();
  });

  it('names the file and what is wrong with it', () => {
    const keys = file('bad-keys.json', '{"keys": [{"id": "a", "sha256": "00", "models": ["*"]}]}');
    expect(authFilesProblem(loadConfig({ ...jwt, PREDICT_AUTH: 'keys,jwt', API_KEYS_FILE: keys, JWT_JWKS_URL: 'https://idp/jwks' }))).toBe(
      `API_KEYS_FILE ${keys} keys[0].sha256 must be 64 hexadecimal digits: the SHA-256 of the key (e.g. printf %s "$KEY" | sha256sum)`,
    );
    const jwks = file('bad-jwks.json', '{"keys": "none"}');
    expect(authFilesProblem(loadConfig({ ...jwt, JWT_JWKS_FILE: jwks }))).toBe(`JWT_JWKS_FILE ${jwks} must be a JWKS: {"keys": [{"kty": ..., ...}]}`);
    expect(authFilesProblem(loadConfig({ ...jwt, JWT_JWKS_FILE: path.join(dir, 'nowhere.json') }))).toMatch(/^JWT_JWKS_FILE .*nowhere\.json cannot be read \(ENOENT/);
  });
});

describe('the auth settings', () => {
  it('refuse a mode without what it needs, naming each missing setting', () => {
    expect(() => loadConfig({ PREDICT_AUTH: 'jwt' })).toThrow(
      /JWT_JWKS_URL="": PREDICT_AUTH includes jwt: set exactly one of JWT_JWKS_URL and JWT_JWKS_FILE \| JWT_ISSUER="": JWT_ISSUER is required when PREDICT_AUTH includes jwt \| JWT_AUDIENCE="": JWT_AUDIENCE is required/,
    );
    expect(() => loadConfig({ PREDICT_AUTH: 'jwt', JWT_JWKS_URL: 'https://a', JWT_JWKS_FILE: '/b', JWT_ISSUER: 'i', JWT_AUDIENCE: 'a' })).toThrow(/set exactly one of/);
    expect(() => loadConfig({ PREDICT_AUTH: 'basic' })).toThrow('PREDICT_AUTH must be off, keys, jwt or keys,jwt');
    expect(() => loadConfig({ JWT_CLOCK_SKEW_S: '3600' })).toThrow('JWT_CLOCK_SKEW_S must not be greater than 300');
    expect(() => loadConfig({ JWT_JWKS_URL: 'ftp://idp/jwks' })).toThrow('JWT_JWKS_URL must be an http(s) URL');
  });
});
