import type { AppConfig } from '../config/app-config';
import { predictAuthModes } from '../config/settings/auth-settings';
import { ApiKeyStore } from './api-key-store';
import type { AuthLogger } from './auth-logger';
import { FileJwks, type JwksSource, RemoteJwks } from './jwks-sources';
import { AuthFileError } from './last-good-file';

/**
 * The key file and the key set PREDICT_AUTH reads, read now: throws an AuthFileError naming
 * the setting, the file and what is wrong. The Authenticator of each HTTP process reads them so.
 */
export function authSourcesOf(config: AppConfig, logger: AuthLogger): { keys?: ApiKeyStore; jwks?: JwksSource } {
  const modes = predictAuthModes(config.PREDICT_AUTH);
  return {
    keys: modes.keys ? new ApiKeyStore(config.API_KEYS_FILE, logger) : undefined,
    jwks: !modes.jwt
      ? undefined
      : config.JWT_JWKS_FILE
        ? new FileJwks(config.JWT_JWKS_FILE, logger)
        : new RemoteJwks(config.JWT_JWKS_URL, { cacheMs: config.JWT_JWKS_CACHE_MS, cooldownMs: config.JWT_JWKS_COOLDOWN_MS }, logger),
  };
}

/**
 * What is wrong with the files PREDICT_AUTH reads, undefined when nothing is: main.ts asks before
 * any process starts, so a broken file stops the service with this one message (not a stack trace
 * from each HTTP process).
 */
export function authFilesProblem(config: AppConfig): string | undefined {
  try {
    authSourcesOf(config, { log: () => undefined, warn: () => undefined });
    return undefined;
  } catch (error) {
    if (error instanceof AuthFileError) return error.message;
    throw error;
  }
}
