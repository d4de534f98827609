import { status as Status, type ServiceError } from '@grpc/grpc-js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { exportSPKI, SignJWT, UnsecuredJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { AUDIENCE, ISSUER, JwksServer, jwksOf, keysFileContent, SecretVolume, type SigningKey, signingKey, signToken } from './support/auth';
import { grpcClient } from './support/grpc-client';
import { useTestApp } from './support/test-app';

/*
 * PREDICT_AUTH=jwt against an identity provider the test plays: its JWKS served on 127.0.0.1 from
 * keys generated here, tokens signed with them (and forged in every way the verifier must refuse).
 */

const IRIS_BODY = { instances: [{ sepal_length: 5.1, sepal_width: 3.5, petal_length: 1.4, petal_width: 0.2 }] };
const now = () => Math.floor(Date.now() / 1000);

describe('PREDICT_AUTH=jwt with JWT_JWKS_URL', () => {
  const jwks = new JwksServer();
  let rsa: SigningKey;
  let ec: SigningKey;
  const env: Record<string, string> = {
    PREDICT_AUTH: 'jwt',
    JWT_ISSUER: ISSUER,
    JWT_AUDIENCE: `other-service,${AUDIENCE}`,
    // A token naming a kid the cached JWKS lacks fetches it again at once, so the rotation below needs no wait.
    JWT_JWKS_COOLDOWN_MS: '0',
  };
  beforeAll(async () => {
    [rsa, ec] = await Promise.all([signingKey('rsa-1', 'RS256'), signingKey('ec-1', 'ES256')]);
    await jwks.start([rsa, ec]);
    env.JWT_JWKS_URL = jwks.url;
  });
  afterAll(() => jwks.stop());
  const server = useTestApp({ models: ['iris', 'digits'], grpc: true, env });

  const predict = (token: string | undefined, model = 'iris') =>
    server.app.inject({
      method: 'POST',
      url: `/v1/models/${model}/predict`,
      headers: { 'content-type': 'application/json', ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) },
      payload: IRIS_BODY,
    });

  /** A refused token: 401, the message, and the same words in the challenge; never the token itself. */
  async function expectRefused(token: string, message: string | RegExp): Promise<void> {
    const answer = await predict(token);
    expect(answer.statusCode, answer.body).toBe(401);
    const said = answer.json().message as string;
    if (typeof message === 'string') expect(said).toBe(message);
    else expect(said).toMatch(message);
    expect(answer.headers['www-authenticate']).toMatch(/^Bearer realm="onnx-model-server", error="invalid_token", error_description="[^"]+"$/);
    expect(answer.body).not.toContain(token.split('.')[1]);
  }

  it('a valid token (RS256 or ES256) naming the model: 200; the models claim as an array or a space-separated string', async () => {
    expect((await predict(await signToken(rsa, { models: ['iris'] }))).statusCode).toBe(200);
    expect((await predict(await signToken(ec, { models: 'digits iris' }))).statusCode).toBe(200);
    expect((await predict(await signToken(rsa, { models: ['*'] }), 'digits')).statusCode).toBe(422);
  });

  it('a token without the model in its claim: 403 naming the model; the list shows only its models', async () => {
    const token = await signToken(rsa, { sub: 'partner-7', models: ['iris'] });
    const answer = await predict(token, 'digits');
    expect([answer.statusCode, answer.json().message]).toEqual([403, 'caller "partner-7" may not use model "digits"']);
    const none = await predict(await signToken(rsa, { sub: 'no-models' }));
    expect([none.statusCode, none.json().message]).toEqual([403, 'caller "no-models" may not use model "iris"']);
    const list = await server.app.inject({ method: 'GET', url: '/v1/models', headers: { authorization: `Bearer ${token}` } });
    expect(list.json().models.map((model: { name: string }) => model.name)).toEqual(['iris']);
  });

  it('refuses an expired token and one not valid yet, beyond the clock skew, naming the time', async () => {
    await expectRefused(await signToken(rsa, { models: ['iris'], exp: now() - 120 }), /^the token has expired \(at \d{4}-\d\d-\d\dT/);
    await expectRefused(await signToken(rsa, { models: ['iris'], nbf: now() + 600 }), /^the token is not valid yet \(at \d{4}-/);
    // Within JWT_CLOCK_SKEW_S (30 s): accepted.
    expect((await predict(await signToken(rsa, { models: ['iris'], exp: now() - 5 }))).statusCode).toBe(200);
  });

  it('refuses a wrong issuer, a wrong audience, and a token without exp or sub', async () => {
    await expectRefused(await signToken(rsa, { models: ['iris'], iss: 'https://evil.example' }), `the token's issuer (iss) is not "${ISSUER}" (JWT_ISSUER)`);
    await expectRefused(
      await signToken(rsa, { models: ['iris'], aud: 'someone-else' }),
      `the token's audience (aud) does not include "other-service" or "${AUDIENCE}" (JWT_AUDIENCE)`,
    );
    await expectRefused(await signToken(rsa, { models: ['iris'], exp: undefined }), 'the token has no "exp" claim');
    await expectRefused(await signToken(rsa, { models: ['iris'], sub: undefined }), 'the token has no "sub" claim');
  });

  it('refuses a tampered signature, alg none, and an HS256 token signed with the public key as its secret', async () => {
    const token = await signToken(rsa, { models: ['iris'] });
    const [header, payload, signature] = token.split('.');
    const flipped = `${signature.slice(0, 10)}${signature[10] === 'A' ? 'B' : 'A'}${signature.slice(11)}`;
    await expectRefused(`${header}.${payload}.${flipped}`, "the token's signature does not verify");
    const elevated = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), models: ['*'] })).toString('base64url');
    await expectRefused(`${header}.${elevated}.${signature}`, "the token's signature does not verify");

    const claims = { iss: ISSUER, aud: AUDIENCE, sub: 'attacker', models: ['*'], exp: now() + 600 };
    await expectRefused(new UnsecuredJWT(claims).encode(), /^the token's algorithm "none" is not accepted: only RS256, /);
    const secret = new TextEncoder().encode(await exportSPKI(rsa.publicKey));
    const confused = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256', kid: rsa.kid }).sign(secret);
    await expectRefused(confused, /^the token's algorithm "HS256" is not accepted: only RS256, RS384, RS512, PS256/);
  });

  it('refuses a token whose kid the JWKS does not hold, and malformed tokens', async () => {
    const stranger = await signingKey('stranger', 'RS256');
    await expectRefused(await signToken(stranger, { models: ['iris'] }), `no key of the identity provider's JWKS matches the token's kid "stranger" and alg "RS256"`);
    await expectRefused('bm90IGpzb24.bm90IGpzb24.c2ln', /^the token is malformed \(/);
    const answer = await predict('a.b');
    expect([answer.statusCode, answer.json().message]).toEqual([401, 'the token is malformed (Invalid Compact JWS)']);
  });

  it('picks up a rotation of the identity provider\'s keys: the new kid is found, the removed one refused', async () => {
    const rotated = await signingKey('rsa-2', 'RS256');
    const before = await signToken(rsa, { models: ['iris'] });
    expect((await predict(before)).statusCode).toBe(200);
    jwks.serve([rotated, ec]);
    expect((await predict(await signToken(rotated, { models: ['iris'] }))).statusCode).toBe(200);
    await expectRefused(before, `no key of the identity provider's JWKS matches the token's kid "rsa-1" and alg "RS256"`);
    jwks.serve([rsa, ec]);
  });

  it('over /v2 and gRPC alike: 401 UNAUTHENTICATED without a token, 403 PERMISSION_DENIED for another model', async () => {
    const token = await signToken(rsa, { models: ['iris'] });
    const body = { inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: [5.1, 3.5, 1.4, 0.2] }] };
    const v2 = (model: string, headers: Record<string, string>) =>
      server.app.inject({ method: 'POST', url: `/v2/models/${model}/infer`, headers: { 'content-type': 'application/json', ...headers }, payload: body });
    expect((await v2('iris', {})).json()).toEqual({ error: 'this API needs a credential: send Authorization: Bearer <JWT>' });
    expect((await v2('iris', { 'x-api-key': 'k' })).json()).toEqual({ error: 'X-API-Key is not accepted here (PREDICT_AUTH=jwt): send Authorization: Bearer <JWT>' });
    expect((await v2('iris', { authorization: `Bearer ${token}` })).statusCode).toBe(200);
    expect((await v2('digits', { authorization: `Bearer ${token}` })).statusCode).toBe(403);

    const client = grpcClient(server.grpcPort);
    try {
      const request = { model_name: 'iris', inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4] }], raw_input_contents: [Buffer.from(Float32Array.from([5.1, 3.5, 1.4, 0.2]).buffer)] };
      expect((await client.call('ModelInfer', request, { metadata: { authorization: `Bearer ${token}` } })).model_name).toBe('iris');
      const refused = (call: Promise<unknown>) => call.then(() => undefined, (error: ServiceError) => [Status[error.code], error.details]);
      expect(await refused(client.call('ModelInfer', request))).toEqual(['UNAUTHENTICATED', 'this API needs a credential: send Authorization: Bearer <JWT>']);
      expect(await refused(client.call('ModelInfer', { ...request, model_name: 'digits' }, { metadata: { authorization: `Bearer ${token}` } }))).toEqual([
        'PERMISSION_DENIED',
        'caller "partner-app" may not use model "digits"',
      ]);
      const expired = await signToken(rsa, { models: ['iris'], exp: now() - 120 });
      expect(await refused(client.call('ModelInfer', request, { metadata: { authorization: `Bearer ${expired}` } }))).toEqual([
        'UNAUTHENTICATED',
        expect.stringMatching(/^the token has expired/),
      ]);
    } finally {
      client.close();
    }
  });
});

describe('PREDICT_AUTH=keys,jwt with JWT_JWKS_FILE', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'jwks-'));
  const jwksFile = path.join(dir, 'jwks.json');
  const volume = new SecretVolume(keysFileContent([{ id: 'batch-jobs', key: 'batch-key-1b2c3d4e5f60', models: ['iris'] }]));
  let first: SigningKey;
  let second: SigningKey;
  const env: Record<string, string> = {
    PREDICT_AUTH: 'keys,jwt',
    API_KEYS_FILE: volume.file,
    JWT_JWKS_FILE: jwksFile,
    JWT_ISSUER: ISSUER,
    JWT_AUDIENCE: AUDIENCE,
    JWT_MODELS_CLAIM: 'https://models.example/allowed',
    AUTH_FILES_POLL_MS: '100',
  };
  beforeAll(async () => {
    [first, second] = await Promise.all([signingKey('file-1', 'EdDSA'), signingKey('file-2', 'PS256')]);
    writeFileSync(jwksFile, jwksOf([first]));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
    volume.remove();
  });
  const server = useTestApp({ models: ['iris'], env });
  const get = (headers: Record<string, string>) => server.app.inject({ method: 'GET', url: '/v1/models/iris', headers });

  it('takes a key and a token on the same routes: a bearer JWT is verified as a token, anything else as a key', async () => {
    const token = await signToken(first, { 'https://models.example/allowed': ['iris'] });
    expect((await get({ authorization: `Bearer ${token}` })).statusCode).toBe(200);
    expect((await get({ authorization: 'Bearer batch-key-1b2c3d4e5f60' })).statusCode).toBe(200);
    expect((await get({ 'x-api-key': 'batch-key-1b2c3d4e5f60' })).statusCode).toBe(200);
    expect((await get({ 'x-api-key': token })).json().message).toBe('the API key is not known (never issued, mistyped, or revoked)');
    expect((await get({ authorization: 'Bearer unknown' })).json().message).toBe('the API key is not known (never issued, mistyped, or revoked)');
  });

  it('re-reads the JWKS file when it changes; a broken one keeps the last good keys', async () => {
    const later = await signToken(second, { 'https://models.example/allowed': 'iris' });
    expect((await get({ authorization: `Bearer ${later}` })).statusCode).toBe(401);
    writeFileSync(jwksFile, jwksOf([second]));
    await vi.waitFor(async () => expect((await get({ authorization: `Bearer ${later}` })).statusCode).toBe(200), { timeout: 10_000, interval: 100 });
    writeFileSync(jwksFile, '{"keys": 7}');
    await vi.waitFor(async () => expect((await server.app.inject({ method: 'GET', url: '/health/ready' })).json().details.auth.jwks.valid).toBe(false), {
      timeout: 10_000,
      interval: 100,
    });
    expect((await get({ authorization: `Bearer ${later}` })).statusCode).toBe(200);
    expect((await server.app.inject({ method: 'GET', url: '/metrics' })).body).toContain('auth_file_valid{file="jwks"} 0');
  });
});
