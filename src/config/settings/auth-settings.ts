import { Type } from 'class-transformer';
import { IsInt, IsString, Matches, Max, Min, ValidateBy } from 'class-validator';
import { ModelSettings } from './model-settings';

/** The ways a caller of the model APIs may prove who it is: PREDICT_AUTH, read once at start. */
export interface PredictAuthModes {
  readonly keys: boolean;
  readonly jwt: boolean;
}

/** `off`, `keys`, `jwt` or `keys,jwt` (either order) as the modes it turns on. */
export function predictAuthModes(value: string): PredictAuthModes {
  const modes = value === 'off' ? [] : value.split(',');
  return { keys: modes.includes('keys'), jwt: modes.includes('jwt') };
}

/**
 * A setting that must be set when `needed` says so for the object's other settings (a file the
 * chosen mode reads); refused naming the mode that needs it.
 */
function RequiredWhen(needed: (settings: AuthSettings) => boolean, why: string) {
  return ValidateBy({
    name: 'requiredWhen',
    validator: {
      validate: (value: unknown, args) => !needed(args?.object as AuthSettings) || (typeof value === 'string' && value !== ''),
      defaultMessage: (args) => `${args?.property} is required when ${why}`,
    },
  });
}

const usesKeys = (settings: AuthSettings): boolean => predictAuthModes(settings.PREDICT_AUTH).keys;
const usesJwt = (settings: AuthSettings): boolean => predictAuthModes(settings.PREDICT_AUTH).jwt;

/**
 * Who may call which model (docs/authentication.md): API keys from a file, JWTs of an identity
 * provider, both, or neither. Part of AppConfig. The files are read and checked by src/auth/ at
 * start (a broken one stops the service, naming what is wrong).
 */
export class AuthSettings extends ModelSettings {
  /**
   * Credentials the model APIs (/v1, /v2, gRPC; not health, metrics, docs, ui) require: `off` (anyone may call
   * every model), `keys` (API_KEYS_FILE), `jwt` (JWT_*), or `keys,jwt` (either).
   */
  @Matches(/^(off|keys|jwt|keys,jwt|jwt,keys)$/, { message: 'PREDICT_AUTH must be off, keys, jwt or keys,jwt' })
  PREDICT_AUTH: string = 'off';

  /**
   * A JSON file of API keys, as SHA-256 digests, each with its id and the models it may use:
   * {"keys": [{"id": "team-a", "sha256": "<64 hex>", "models": ["iris"]}]} ("*" for every model).
   * Re-read when it changes (a mounted Secret), so keys are added and revoked without a restart.
   */
  @IsString()
  @RequiredWhen(usesKeys, 'PREDICT_AUTH includes keys')
  API_KEYS_FILE: string = '';

  /** How often (ms) API_KEYS_FILE and JWT_JWKS_FILE are checked for a change. */
  @Type(() => Number)
  @IsInt()
  @Min(100)
  @Max(60_000)
  AUTH_FILES_POLL_MS: number = 1000;

  /** The identity provider's JWKS (https://.../.well-known/jwks.json): the public keys tokens are verified with. */
  @IsString()
  @Matches(/^(https?:\/\/\S+)?$/, { message: 'JWT_JWKS_URL must be an http(s) URL' })
  @ValidateBy({
    name: 'oneJwksSource',
    validator: {
      validate: (value: unknown, args) => {
        const settings = args?.object as AuthSettings;
        const sources = [value, settings.JWT_JWKS_FILE].filter((source) => source !== '').length;
        return usesJwt(settings) ? sources === 1 : true;
      },
      defaultMessage: () => 'PREDICT_AUTH includes jwt: set exactly one of JWT_JWKS_URL and JWT_JWKS_FILE',
    },
  })
  JWT_JWKS_URL: string = '';

  /** A JWKS in a file (e.g. mounted from a ConfigMap), in place of JWT_JWKS_URL; re-read when it changes. */
  @IsString()
  JWT_JWKS_FILE: string = '';

  /** The `iss` every token must carry (the identity provider's issuer URL). */
  @IsString()
  @RequiredWhen(usesJwt, 'PREDICT_AUTH includes jwt')
  JWT_ISSUER: string = '';

  /** The `aud` a token must carry (one of, comma-separated): this service's name at the identity provider. */
  @IsString()
  @RequiredWhen(usesJwt, 'PREDICT_AUTH includes jwt')
  JWT_AUDIENCE: string = '';

  /** The claim naming the models a token may use: an array of names, or one string of names separated by spaces; "*" = all. */
  @Matches(/^[^\s,]{1,200}$/, { message: 'JWT_MODELS_CLAIM must be one claim name (no spaces or commas)' })
  JWT_MODELS_CLAIM: string = 'models';

  /** Seconds a token's exp and nbf may be off by, for clocks that differ a little (at most 300). */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(300)
  JWT_CLOCK_SKEW_S: number = 30;

  /**
   * JWT_JWKS_URL: how long (ms) fetched keys are used before they are fetched again, and the least time
   * between two fetches a token with an unknown key id (kid) causes (jose's cacheMaxAge and cooldownDuration).
   */
  @Type(() => Number)
  @IsInt()
  @Min(1000)
  JWT_JWKS_CACHE_MS: number = 600_000;

  /** See JWT_JWKS_CACHE_MS: a flood of tokens with made-up kids fetches the JWKS at most once per this many ms. */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  JWT_JWKS_COOLDOWN_MS: number = 30_000;
}
