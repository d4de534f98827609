import type { AuthLogger } from './auth-logger';
import { createLocalJWKSet, createRemoteJWKSet, errors, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import { DomainError } from '../common/errors/domain-error';
import { AuthFileError, LastGoodFile } from './last-good-file';

/** Where the public keys that verify tokens come from: the identity provider's JWKS URL, or a file. */
export interface JwksSource {
  /** For jose's jwtVerify: the key a token's header (kid, alg) names. */
  readonly getKey: JWTVerifyGetKey;
  /** Whether the last read of JWT_JWKS_FILE was good (a URL: always, its failures are answered per request). */
  readonly valid: boolean;
  /** Changes whenever the keys in force change: tokens verified against older keys must be verified again. */
  readonly generation: number;
  watch(intervalMs: number): void;
  stop(): void;
}

export class JwksFileError extends AuthFileError {}

/** After a failed fetch of the JWKS, requests are refused at once for this long instead of each fetching it again. */
const FETCH_RETRY_MS = 1_000;

/**
 * JWT_JWKS_URL through jose's remote key set, which keeps the keys for JWT_JWKS_CACHE_MS and fetches
 * them again early when a token names a kid it does not hold (at most once per JWT_JWKS_COOLDOWN_MS):
 * a key the identity provider adds is found, one it removes is gone at that fetch. A fetch that fails
 * refuses the requests waiting on it with 503 (IDENTITY_PROVIDER_UNAVAILABLE: not the caller's fault),
 * logged when it starts failing and when it recovers.
 */
export class RemoteJwks implements JwksSource {
  readonly getKey: JWTVerifyGetKey;
  readonly valid = true;
  private failing: string | undefined;
  private retryAt = 0;
  private readonly remote: ReturnType<typeof createRemoteJWKSet>;
  private keysSeen: JSONWebKeySet | undefined;
  private keysGeneration = 0;

  constructor(
    private readonly url: string,
    options: { cacheMs: number; cooldownMs: number },
    private readonly logger: AuthLogger,
  ) {
    const remote = (this.remote = createRemoteJWKSet(new URL(url), { cacheMaxAge: options.cacheMs, cooldownDuration: options.cooldownMs }));
    this.getKey = async (header, token) => {
      if (this.failing !== undefined && Date.now() < this.retryAt) throw this.unavailable();
      try {
        const key = await remote(header, token);
        this.recovered();
        return key;
      } catch (error) {
        if (!isFetchFailure(error)) throw error;
        this.failed(error);
        throw this.unavailable();
      }
    };
  }

  /** jose replaces its key set object on every fetch: a new object, possibly other keys. */
  get generation(): number {
    const keys = this.remote.jwks();
    if (keys !== this.keysSeen) {
      this.keysSeen = keys;
      this.keysGeneration++;
    }
    return this.keysGeneration;
  }

  watch(): void {
    // Fetched on the first token, and then as the cache says.
  }

  stop(): void {}

  private failed(error: unknown): void {
    const why = (error as Error).message || (error as Error).name;
    this.retryAt = Date.now() + FETCH_RETRY_MS;
    if (this.failing === undefined) this.logger.warn(`JWT_JWKS_URL ${this.url} cannot be fetched (${why}): tokens are refused with 503 until it can`);
    this.failing = why;
  }

  private recovered(): void {
    if (this.failing === undefined) return;
    this.failing = undefined;
    this.logger.log(`JWT_JWKS_URL ${this.url} fetched again`);
  }

  private unavailable(): DomainError {
    return new DomainError('IDENTITY_PROVIDER_UNAVAILABLE', `tokens cannot be verified right now: the identity provider's keys (JWT_JWKS_URL) cannot be fetched`);
  }
}

/** Errors of fetching the JWKS, as opposed to errors of the token it was fetched for. */
function isFetchFailure(error: unknown): boolean {
  if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) return false;
  if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid) return true;
  // fetch's own TypeError (refused, reset, DNS), or jose's plain JOSEError for a status other than 200 or a body that is not JSON.
  return error instanceof TypeError || (error instanceof errors.JOSEError && error.code === 'ERR_JOSE_GENERIC');
}

/**
 * JWT_JWKS_FILE: a JWKS read at start (a broken one stops the service) and again when the file
 * changes; a broken change keeps the last good keys, logged once, until the file is mended.
 */
export class FileJwks implements JwksSource {
  private readonly file: LastGoodFile<JWTVerifyGetKey>;
  generation = 0;
  readonly getKey: JWTVerifyGetKey = (header, token) => this.file.value(header, token);

  constructor(path: string, logger: AuthLogger) {
    this.file = new LastGoodFile('JWT_JWKS_FILE', path, keySetOf, logger, () => 'the keys', () => this.generation++);
  }

  get valid(): boolean {
    return this.file.problem === undefined;
  }

  watch(intervalMs: number): void {
    this.file.watch(intervalMs);
  }

  stop(): void {
    this.file.stop();
  }

  /** Checks the file now, as the poll does (for tests). */
  recheck(): Promise<void> {
    return this.file.recheck();
  }
}

function keySetOf(content: string): JWTVerifyGetKey {
  let jwks: unknown;
  try {
    jwks = JSON.parse(content);
  } catch (error) {
    throw new JwksFileError(`is not valid JSON: ${(error as Error).message}`);
  }
  const keys = (jwks as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys) || keys.some((key) => typeof key !== 'object' || key === null || typeof (key as { kty?: unknown }).kty !== 'string')) {
    throw new JwksFileError('must be a JWKS: {"keys": [{"kty": ..., ...}]}');
  }
  return createLocalJWKSet(jwks as JSONWebKeySet);
}
