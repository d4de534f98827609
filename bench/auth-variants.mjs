// Credentials for A/B runs of PREDICT_AUTH (compare.mjs): a variant `{"auth": "keys"}` or
// `{"auth": "jwt", "alg": "ES256"}` gets a keys file, a JWKS file and a token made here, in a
// temp dir removed when the bench exits, and becomes the service settings and the request headers
// that mode needs. Nothing leaves 127.0.0.1: the JWKS is a file (JWT_JWKS_FILE), so a cell never
// waits on an identity provider, and what is measured is the verification itself.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';

const ISSUER = 'https://bench.invalid/';
const AUDIENCE = 'onnx-model-server-bench';

let dir;
function workDir() {
  if (!dir) {
    dir = mkdtempSync(path.join(os.tmpdir(), 'onnx-bench-auth-'));
    process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  }
  return dir;
}

/** A keys file of `count` keys (every model each; the bench's key is the last, so a lookup compares them all). */
function keysFile(count) {
  const key = randomBytes(32).toString('hex');
  const keys = Array.from({ length: count - 1 }, (_, i) => ({ id: `other-${i}`, sha256: createHash('sha256').update(randomBytes(32)).digest('hex'), models: ['*'] }));
  keys.push({ id: 'bench', sha256: createHash('sha256').update(key).digest('hex'), models: ['*'] });
  const file = path.join(workDir(), `keys-${count}.json`);
  writeFileSync(file, JSON.stringify({ keys }));
  return { file, key };
}

/** A JWKS file of one key of `alg`, and a token it signs, valid for a day, allowed every model. */
async function jwksAndToken(alg) {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const kid = `bench-${alg.toLowerCase()}`;
  const file = path.join(workDir(), `jwks-${alg}.json`);
  writeFileSync(file, JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid, alg, use: 'sig' }] }));
  const token = await new SignJWT({ models: ['*'] })
    .setProtectedHeader({ alg, kid, typ: 'JWT' })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setSubject('bench')
    .setIssuedAt()
    .setExpirationTime('1d')
    .sign(privateKey);
  return { file, token };
}

/**
 * A compare.mjs variant as the service settings and request headers it runs with: `auth` (keys,
 * jwt) adds PREDICT_AUTH, its files and an Authorization header; `keys` sets how many keys the file
 * holds (default 10); `alg` the token's algorithm (default RS256); `headers` adds headers of its own.
 * Any other key is a service setting, as before.
 */
export async function variantSetup({ auth, alg = 'RS256', keys = 10, headers = {}, ...settings }) {
  if (auth === undefined) return { settings, headers };
  if (auth !== 'keys' && auth !== 'jwt') throw new Error(`variant "auth" must be keys or jwt, not ${JSON.stringify(auth)}`);
  if (auth === 'keys') {
    const { file, key } = keysFile(Number(keys));
    return { settings: { PREDICT_AUTH: 'keys', API_KEYS_FILE: file, ...settings }, headers: { Authorization: `Bearer ${key}`, ...headers } };
  }
  const { file, token } = await jwksAndToken(alg);
  return {
    settings: { PREDICT_AUTH: 'jwt', JWT_JWKS_FILE: file, JWT_ISSUER: ISSUER, JWT_AUDIENCE: AUDIENCE, ...settings },
    headers: { Authorization: `Bearer ${token}`, ...headers },
  };
}

/** How a variant is named in the report: what it asked for, not the generated paths and secrets. */
export function variantLabel(variant) {
  const { headers, ...rest } = variant;
  return JSON.stringify(headers ? { ...rest, headers: Object.keys(headers) } : rest);
}
