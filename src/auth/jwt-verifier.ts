import { decodeProtectedHeader, errors, jwtVerify, type JWTPayload } from 'jose';
import { DomainError } from '../common/errors/domain-error';
import { quoted } from '../common/errors/quoted';
import { AuthRefusal } from './auth-refusal';
import { Caller } from './caller';
import type { JwksSource } from './jwks-sources';

/**
 * The only algorithms a token may be signed with: asymmetric ones, whose verification key is public.
 * `none` and HS* are never accepted, so a token signed with the public key as an HMAC secret (the
 * classic algorithm-confusion attack) or not signed at all is refused before any key is looked up.
 */
export const JWT_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'] as const;

export interface JwtSettings {
  readonly issuer: string;
  /** One of these must be in the token's `aud`. */
  readonly audiences: readonly string[];
  /** The claim listing the models the token may use. */
  readonly modelsClaim: string;
  readonly clockSkewSeconds: number;
}

/**
 * Verifies a bearer JWT with jose (signature against the JWKS, algorithm, exp, nbf, iss, aud; exp
 * and sub required) and makes its caller: `sub` is the caller's id, the models claim (an array of
 * names or one string of names separated by spaces; "*" for all) what it may use. A refused token
 * is a 401 whose message says which check failed, never what the token held beyond its kid and alg.
 */
export class JwtVerifier {
  private readonly verified = new VerifiedTokens();

  constructor(
    private readonly settings: JwtSettings,
    private readonly keys: JwksSource,
  ) {}

  async verify(token: string): Promise<Caller> {
    const known = this.verified.find(token, this.keys.generation);
    if (known) return known;
    const generation = this.keys.generation;
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.keys.getKey, {
        algorithms: [...JWT_ALGORITHMS],
        issuer: this.settings.issuer,
        audience: [...this.settings.audiences],
        clockTolerance: this.settings.clockSkewSeconds,
        requiredClaims: ['exp', 'sub'],
      }));
    } catch (error) {
      throw refusalOf(error, token, this.settings);
    }
    if (typeof payload.sub !== 'string' || payload.sub === '') throw new AuthRefusal('invalid_token', "the token's sub claim must be a non-empty string");
    const caller = new Caller(payload.sub, 'jwt', modelsOf(payload[this.settings.modelsClaim], this.settings.modelsClaim));
    // jose checked exp is present; the keys' generation is read before the keys were, so a change meanwhile is seen.
    this.verified.add(token, caller, (payload.exp as number) * 1000, generation);
    return caller;
  }
}

/** Most tokens remembered as verified; past it, the oldest is forgotten. */
const MAX_VERIFIED_TOKENS = 10_000;
/** Longest a verification is trusted without being done again, even when the token lives longer. */
const VERIFIED_FOR_MS = 60_000;

/**
 * Tokens verified lately, so a client that sends the same token with every request pays the
 * signature check (tens of µs of CPU: most of a small model's request) once a minute, not every
 * time. An entry is trusted until the token expires (no clock skew allowed here), for at most a
 * minute, and only while the key set it was verified against is still the one in force: a key
 * removed from the JWKS stops its tokens at the next fetch, as without this memory.
 */
export class VerifiedTokens {
  private readonly entries = new Map<string, { caller: Caller; until: number; generation: number }>();

  find(token: string, generation: number, now = Date.now()): Caller | undefined {
    const entry = this.entries.get(token);
    if (!entry) return undefined;
    if (now < entry.until && entry.generation === generation) return entry.caller;
    this.entries.delete(token);
    return undefined;
  }

  add(token: string, caller: Caller, expiresAt: number, generation: number, now = Date.now()): void {
    const until = Math.min(expiresAt, now + VERIFIED_FOR_MS);
    if (!(until > now)) return;
    if (this.entries.size >= MAX_VERIFIED_TOKENS) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(token, { caller, until, generation });
  }

  get size(): number {
    return this.entries.size;
  }
}

function modelsOf(claim: unknown, name: string): string[] {
  if (claim === undefined) return [];
  if (typeof claim === 'string') return claim.split(' ').filter((model) => model !== '');
  if (Array.isArray(claim) && claim.every((model) => typeof model === 'string')) return claim;
  throw new AuthRefusal('invalid_token', `the token's ${quoted(name)} claim must be an array of model names or a string of names separated by spaces`);
}

/** What a failed verification answers: the check that failed, in words (jose's error classes, one by one). */
function refusalOf(error: unknown, token: string, settings: JwtSettings): DomainError {
  if (error instanceof DomainError) return error;
  if (error instanceof errors.JWTExpired) return new AuthRefusal('expired_token', `the token has expired${at(error.payload.exp)}`);
  if (error instanceof errors.JWTClaimValidationFailed) return new AuthRefusal('invalid_token', claimProblem(error, settings));
  if (error instanceof errors.JOSEAlgNotAllowed) {
    return new AuthRefusal('invalid_token', `the token's algorithm ${quoted(headerOf(token).alg ?? '')} is not accepted: only ${JWT_ALGORITHMS.join(', ')}`);
  }
  if (error instanceof errors.JWKSNoMatchingKey) {
    const { kid, alg } = headerOf(token);
    return new AuthRefusal('invalid_token', `no key of the identity provider's JWKS matches the token's kid ${kid === undefined ? '(none)' : quoted(kid)} and alg ${quoted(alg ?? '')}`);
  }
  if (error instanceof errors.JWKSMultipleMatchingKeys) {
    return new AuthRefusal('invalid_token', "several keys of the identity provider's JWKS match the token's header: it must name its key with a kid");
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) return new AuthRefusal('invalid_token', "the token's signature does not verify");
  if (error instanceof errors.JOSEError) return new AuthRefusal('invalid_token', `the token is malformed (${error.message})`);
  // A key in the JWKS that the platform's crypto cannot import, or another fault: the token is still not verified.
  return new AuthRefusal('invalid_token', 'the token cannot be verified');
}

function claimProblem(error: errors.JWTClaimValidationFailed, settings: JwtSettings): string {
  const { claim, reason, payload } = error;
  if (reason === 'missing') return `the token has no ${quoted(claim)} claim`;
  switch (claim) {
    case 'iss':
      return `the token's issuer (iss) is not ${quoted(settings.issuer, 200)} (JWT_ISSUER)`;
    case 'aud':
      return `the token's audience (aud) does not include ${settings.audiences.map((audience) => quoted(audience, 200)).join(' or ')} (JWT_AUDIENCE)`;
    case 'nbf':
      return `the token is not valid yet${at(payload.nbf)}`;
    case 'iat':
      return "the token's issue time (iat) is in the future";
    default:
      return `the token's ${quoted(claim)} claim is not valid (${reason})`;
  }
}

/** " (exp 2026-01-01T00:00:00.000Z)": the time a claim names, when it is a number of seconds. */
function at(seconds: unknown): string {
  return typeof seconds === 'number' && Number.isFinite(seconds) && Math.abs(seconds) < 1e11 ? ` (at ${new Date(seconds * 1000).toISOString()})` : '';
}

/** The token's kid and alg, for messages only: read after jose refused it, so never trusted. */
function headerOf(token: string): { kid?: string; alg?: string } {
  try {
    const header = decodeProtectedHeader(token);
    return { kid: typeof header.kid === 'string' ? header.kid : undefined, alg: typeof header.alg === 'string' ? header.alg : undefined };
  } catch {
    return {};
  }
}
