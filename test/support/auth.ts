import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { exportJWK, generateKeyPair, type JWK, type JWTPayload, SignJWT } from 'jose';

type KeyPair = Awaited<ReturnType<typeof generateKeyPair>>;

/** One key of an API_KEYS_FILE as a test writes it: the key itself, which the file stores only as a digest. */
export interface TestKey {
  readonly id: string;
  readonly key: string;
  readonly models: readonly string[];
}

export const sha256Hex = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

export function keysFileContent(keys: readonly TestKey[]): string {
  return JSON.stringify({ keys: keys.map(({ id, key, models }) => ({ id, sha256: sha256Hex(key), models })) });
}

/**
 * An API_KEYS_FILE mounted as Kubernetes mounts a Secret: `<dir>/keys.json` is a symlink to
 * `..data/keys.json`, and `..data` a symlink to a folder of the current content. `update` writes a
 * new folder and swaps `..data` in one rename, as the kubelet's atomic writer does.
 */
export class SecretVolume {
  readonly dir = mkdtempSync(path.join(tmpdir(), 'secret-'));
  readonly file = path.join(this.dir, 'keys.json');
  private generation = 0;

  constructor(content: string) {
    this.write(content);
    symlinkSync('..data/keys.json', this.file);
  }

  update(content: string): void {
    this.write(content);
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  private write(content: string): void {
    const folder = `..${++this.generation}`;
    mkdirSync(path.join(this.dir, folder));
    writeFileSync(path.join(this.dir, folder, 'keys.json'), content);
    const next = path.join(this.dir, '..data_tmp');
    symlinkSync(folder, next);
    renameSync(next, path.join(this.dir, '..data'));
  }
}

/** A signing key of the test's identity provider, with its public JWK as a JWKS lists it. */
export interface SigningKey {
  readonly kid: string;
  readonly alg: string;
  readonly privateKey: KeyPair['privateKey'];
  readonly publicKey: KeyPair['publicKey'];
  readonly jwk: JWK;
}

export async function signingKey(kid: string, alg = 'RS256'): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { kid, alg, privateKey, publicKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

export const ISSUER = 'https://idp.test.example';
export const AUDIENCE = 'onnx-model-server';

/** A token the identity provider would issue: iss, aud, sub, an hour of validity; `claims` add or replace. */
export async function signToken(key: SigningKey, claims: JWTPayload = {}, header: Record<string, unknown> = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ iss: ISSUER, aud: AUDIENCE, sub: 'partner-app', iat: now, exp: now + 3600, ...claims })
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT', ...header })
    .sign(key.privateKey);
}

/** The identity provider's JWKS endpoint, on 127.0.0.1: serves the keys it is given now, and counts its fetches. */
export class JwksServer {
  private keys: readonly SigningKey[] = [];
  private server: Server | undefined;
  fetches = 0;
  url = '';

  async start(keys: readonly SigningKey[]): Promise<void> {
    this.keys = keys;
    this.server = createServer((request, response) => {
      this.fetches++;
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ keys: this.keys.map((key) => key.jwk) }));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/.well-known/jwks.json`;
  }

  serve(keys: readonly SigningKey[]): void {
    this.keys = keys;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

export const jwksOf = (keys: readonly SigningKey[]): string => JSON.stringify({ keys: keys.map((key) => key.jwk) });

/**
 * Credentials a hostile or confused client sends: random strings, JWT-shaped strings whose parts
 * decode to any JSON (alg none, HS256, made-up kids, prototype-named keys), near-misses of a real
 * key, oversized ones; as Authorization values with any scheme or none. Printable ASCII only: other
 * bytes are refused by the HTTP parser and gRPC's metadata before the service sees them.
 */
export function hostileCredentials(realKey: string) {
  const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value) ?? 'null').toString('base64url');
  const json = fc.jsonValue({ maxDepth: 2 });
  const header = fc.oneof(
    json,
    fc.record(
      {
        alg: fc.oneof(fc.constantFrom('none', 'None', 'HS256', 'RS256', 'ES256', 'EdDSA', 'PS512', ''), json),
        kid: fc.oneof(fc.constantFrom('file-1', '__proto__', 'constructor', '../../etc/passwd'), fc.string({ maxLength: 20 }), json),
        typ: fc.constantFrom('JWT', 'at+jwt'),
        crit: fc.constantFrom(['b64'], ['exp'], []),
      },
      { requiredKeys: [] },
    ),
  );
  const jwtShaped = fc
    .tuple(header, json, fc.oneof(fc.string({ maxLength: 30 }), fc.constant('')), fc.boolean())
    .map(([h, payload, signature, raw]) => `${b64(h)}.${b64(payload)}.${raw ? signature : b64(signature)}`);
  const credential = fc.oneof(
    fc.string({ maxLength: 40 }),
    jwtShaped,
    fc.constantFrom(realKey, `${realKey} `, `${realKey}x`, realKey.slice(1), realKey.toUpperCase(), 'x'.repeat(10_000), '.', '..', 'a.b.c', '='),
  );
  const printable = (text: string) => /^[\x20-\x7e]*$/.test(text);
  const authorization = fc
    .tuple(fc.constantFrom('Bearer ', 'bearer ', 'BEARER  ', 'Basic ', 'Token ', '', 'Bearer', 'Bearer\t'), credential)
    .map(([scheme, value]) => `${scheme}${value}`)
    .filter(printable);
  return {
    authorization: fc.option(authorization, { nil: undefined }),
    apiKey: fc.option(credential.filter(printable), { nil: undefined }),
  };
}
