import { describe, expect, it } from 'vitest';
import { AuthRefusal } from './auth-refusal';
import { credentialOf, looksLikeJwt, type PresentedCredentials } from './credentials';

const KEYS = { keys: true, jwt: false };
const JWT = { keys: false, jwt: true };
const BOTH = { keys: true, jwt: true };
/** A JWT in form (header {"alg":"RS256","typ":"JWT"}); its signature is not checked here. */
const JWT_SHAPED = 'eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl';

const presented = (authorization?: string, apiKey?: string): PresentedCredentials => ({ authorization, apiKey });

function refusal(run: () => unknown): AuthRefusal {
  try {
    run();
  } catch (error) {
    if (error instanceof AuthRefusal) return error;
    throw error;
  }
  throw new Error('expected an AuthRefusal');
}

describe('credentialOf', () => {
  it('reads a bearer credential and X-API-Key, the scheme in any case', () => {
    expect(credentialOf(presented('Bearer abc-123'), KEYS)).toEqual({ kind: 'key', value: 'abc-123' });
    expect(credentialOf(presented('bearer abc-123'), KEYS)).toEqual({ kind: 'key', value: 'abc-123' });
    expect(credentialOf(presented(undefined, 'k3y with spaces!'), KEYS)).toEqual({ kind: 'key', value: 'k3y with spaces!' });
  });

  it('with keys and JWTs on, verifies a JWT-shaped bearer credential as a token and anything else as a key', () => {
    expect(credentialOf(presented(`Bearer ${JWT_SHAPED}`), BOTH).kind).toBe('jwt');
    expect(credentialOf(presented('Bearer a.b.c'), BOTH).kind).toBe('key');
    expect(credentialOf(presented(undefined, JWT_SHAPED), BOTH).kind).toBe('key');
    expect(credentialOf(presented('Bearer anything'), JWT).kind).toBe('jwt');
  });

  it('refuses no credential, two, a foreign scheme, an empty or oversized one, saying which without quoting it', () => {
    expect(refusal(() => credentialOf(presented(), BOTH))).toMatchObject({
      reason: 'missing_credential',
      message: 'this API needs a credential: send Authorization: Bearer <API key or JWT>, or X-API-Key: <API key>',
    });
    expect(refusal(() => credentialOf(presented('Bearer a', 'b'), KEYS)).reason).toBe('malformed_credential');
    const basic = refusal(() => credentialOf(presented('Basic c2VjcmV0'), KEYS));
    expect(basic.message).toBe('the Authorization scheme is not Bearer: send Authorization: Bearer <API key>, or X-API-Key: <API key>');
    expect(refusal(() => credentialOf(presented('secret-key-without-scheme'), KEYS)).message).not.toContain('secret');
    expect(refusal(() => credentialOf(presented('Bearer two words'), KEYS)).message).toMatch(/^Authorization must be "Bearer <credential>"/);
    expect(refusal(() => credentialOf(presented(undefined, ''), KEYS)).message).toBe('X-API-Key is empty');
    expect(refusal(() => credentialOf(presented(`Bearer ${'x'.repeat(9000)}`), KEYS)).message).toBe('Authorization is longer than 8192 characters');
    expect(refusal(() => credentialOf(presented(undefined, 'k'), JWT)).message).toMatch(/^X-API-Key is not accepted here \(PREDICT_AUTH=jwt\)/);
  });
});

describe('looksLikeJwt', () => {
  it('needs three base64url parts and a first one that decodes to a JSON object with an alg', () => {
    expect(looksLikeJwt(JWT_SHAPED)).toBe(true);
    expect(looksLikeJwt(`${Buffer.from('{"alg":"none"}').toString('base64url')}.e30.`)).toBe(true);
    expect(looksLikeJwt(`${Buffer.from('{"typ":"JWT"}').toString('base64url')}.e30.c2ln`)).toBe(false);
    expect(looksLikeJwt('abc.def.ghi')).toBe(false);
    expect(looksLikeJwt('9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08')).toBe(false);
  });
});

describe('AuthRefusal.challenge', () => {
  it('is a bare Bearer challenge without a credential, invalid_token or insufficient_scope otherwise, quotes made safe', () => {
    expect(new AuthRefusal('missing_credential', 'x').challenge).toBe('Bearer realm="onnx-model-server"');
    expect(new AuthRefusal('expired_token', 'the token has expired').challenge).toBe(
      'Bearer realm="onnx-model-server", error="invalid_token", error_description="the token has expired"',
    );
    expect(new AuthRefusal('model_not_allowed', 'caller "a\\b" may not use model "é"\r\n').challenge).toBe(
      `Bearer realm="onnx-model-server", error="insufficient_scope", error_description="caller 'ab' may not use model ''"`,
    );
    expect([new AuthRefusal('unknown_key', 'x').status, new AuthRefusal('model_not_allowed', 'x').status]).toEqual([401, 403]);
  });
});
