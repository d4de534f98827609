import type { PredictAuthModes } from '../config/settings/auth-settings';
import { AuthRefusal } from './auth-refusal';
import type { CredentialKind } from './caller';

/** The header (REST) and metadata key (gRPC) that carries an API key on its own; Authorization carries either kind. */
export const API_KEY_HEADER = 'x-api-key';
export const AUTHORIZATION_HEADER = 'authorization';

/** What a request presents, read from its headers or metadata. */
export interface PresentedCredentials {
  readonly authorization: string | undefined;
  readonly apiKey: string | undefined;
}

export interface Credential {
  readonly kind: CredentialKind;
  readonly value: string;
}

/** Longer than any key or token an identity provider issues, far shorter than a header may be. */
const MAX_CREDENTIAL_CHARS = 8192;
/** RFC 6750's b64token, the characters a bearer credential is made of. */
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;
/** Three base64url parts: a JWS in compact form (a JWT). */
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/**
 * The one credential a request presents, and whether it is an API key or a JWT, for the modes
 * PREDICT_AUTH turns on. X-API-Key always holds a key. With keys and JWTs both on, a bearer
 * credential that is a JWT in form (three base64url parts whose first decodes to a JSON object with
 * an `alg`) is verified as a token, anything else as a key. A request with none, with two, or with
 * one in a form no mode takes is refused, saying which it was.
 */
export function credentialOf(presented: PresentedCredentials, modes: PredictAuthModes): Credential {
  const { authorization, apiKey } = presented;
  if (authorization === undefined && apiKey === undefined) {
    throw new AuthRefusal('missing_credential', `this API needs a credential: send ${accepted(modes)}`);
  }
  if (authorization !== undefined && apiKey !== undefined) {
    throw new AuthRefusal('malformed_credential', 'send one credential, in Authorization or in X-API-Key, not both');
  }
  if (apiKey !== undefined) {
    if (!modes.keys) throw new AuthRefusal('malformed_credential', `X-API-Key is not accepted here (PREDICT_AUTH=jwt): send ${accepted(modes)}`);
    return { kind: 'key', value: checkedLength(apiKey.trim(), 'X-API-Key') };
  }
  const bearer = BEARER.exec(checkedLength(authorization!, 'Authorization'));
  if (!bearer) throw new AuthRefusal('malformed_credential', `${schemeProblem(authorization!)}: send ${accepted(modes)}`);
  const value = bearer[1];
  const kind: CredentialKind = modes.jwt && (!modes.keys || looksLikeJwt(value)) ? 'jwt' : 'key';
  return { kind, value };
}

/** A JWT in form: its first part decodes to a JSON object naming an algorithm. Says nothing of its validity. */
export function looksLikeJwt(value: string): boolean {
  if (!COMPACT_JWS.test(value)) return false;
  try {
    const header: unknown = JSON.parse(Buffer.from(value.slice(0, value.indexOf('.')), 'base64url').toString('utf8'));
    return typeof header === 'object' && header !== null && typeof (header as { alg?: unknown }).alg === 'string';
  } catch {
    return false;
  }
}

function accepted(modes: PredictAuthModes): string {
  if (modes.keys && modes.jwt) return 'Authorization: Bearer <API key or JWT>, or X-API-Key: <API key>';
  return modes.keys ? 'Authorization: Bearer <API key>, or X-API-Key: <API key>' : 'Authorization: Bearer <JWT>';
}

function checkedLength(value: string, where: string): string {
  if (value === '') throw new AuthRefusal('malformed_credential', `${where} is empty`);
  if (value.length > MAX_CREDENTIAL_CHARS) {
    throw new AuthRefusal('malformed_credential', `${where} is longer than ${MAX_CREDENTIAL_CHARS} characters`);
  }
  return value;
}

/**
 * What is wrong with an Authorization value that is not `Bearer <credential>`, without quoting any
 * of it: a client that sends its key with no scheme would see the key in the answer.
 */
function schemeProblem(authorization: string): string {
  if (!/^bearer\s/i.test(authorization.trimStart())) return 'the Authorization scheme is not Bearer';
  return 'Authorization must be "Bearer <credential>", the credential one word of letters, digits and -._~+/ (then = padding)';
}
