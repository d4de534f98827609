import 'reflect-metadata';
import { plainToInstance, Type } from 'class-transformer';
import { IsInt, IsNumber, IsString, Max, Min, validateSync } from 'class-validator';
import type { ConnectionLimits } from '../common/http/connection-backpressure';
import { parseTrustedProxies } from '../common/http/trusted-proxies';
import type { JsonLimits } from '../common/validation/json-limits';
import { parseLogTarget } from './prediction-log-target';
import { AuthSettings } from './settings/auth-settings';
import { ParsedBy } from './settings/parsed-setting';

export { LOG_LEVELS, type LogLevel } from './settings/server-settings';

/** Settings whose values never appear in messages or logs. */
const SECRET_KEYS: ReadonlySet<string> = new Set<ConfigKey>(['ADMIN_TOKEN', 'PREDICTION_LOG']);

/**
 * Every setting the service reads from the environment, with its default and
 * its rules: property names are the environment variable names. The Helm
 * chart's tests read CONFIG_DEFAULTS (derived from this class), so a setting
 * added here must be exposed by the chart too.
 *
 * One class, so that Nest injects every setting as one object; its keys are
 * declared by concern in settings/ (server, request limits, models, auth), each
 * class extending the one before, and the prediction log's here.
 */
export class AppConfig extends AuthSettings {
  /**
   * Where every answered prediction is logged, in the background ('' = off): `file:<path>[?size=100M&keep=10]` (JSON
   * lines, one per instance, rotated by size; one file per HTTP process), `postgres://...` / `postgresql://...` (the
   * table prediction_log, created when missing) or `http(s)://...` (CloudEvents as KServe's payload logger sends
   * them). Logging never delays, fails or changes a prediction. May hold credentials: pass it from a Secret.
   */
  @IsString()
  @ParsedBy('isPredictionLogTarget', parseLogTarget)
  PREDICTION_LOG: string = '';

  /** Share of predictions logged, 0 to 1, decided by a hash of the request id (1 = every one, 0 = none). */
  @Type(() => Number)
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(1)
  PREDICTION_LOG_SAMPLE: number = 1;

  /** Most predictions waiting for the prediction log's writer; beyond it they are dropped (and counted), never waited for. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  PREDICTION_LOG_QUEUE_SIZE: number = 10_000;

  /** An instance's tensor larger than this (bytes) is logged as its sha256, size, datatype and shape; 0 logs every value whole. */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  PREDICTION_LOG_MAX_VALUE_BYTES: number = 4096;
}

export type ConfigKey = keyof AppConfig;

/** Every setting's default, as the chart's values must repeat them. */
export const CONFIG_DEFAULTS: Readonly<AppConfig> = Object.freeze({ ...new AppConfig() });

export class ConfigError extends Error {}

/**
 * Builds the configuration from the environment, failing with one message that
 * names every bad variable, so a misconfigured pod stops at once and says why.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const raw: Record<string, unknown> = { ...CONFIG_DEFAULTS };
  for (const key of Object.keys(CONFIG_DEFAULTS)) {
    const value = env[key];
    if (value !== undefined && value !== '') raw[key] = value;
  }
  const config = plainToInstance(AppConfig, raw);
  const errors = validateSync(config, { forbidUnknownValues: true });
  if (errors.length > 0) {
    const problems = errors.map((error) => {
      const rules = Object.values(error.constraints ?? {}).join('; ');
      const shown = SECRET_KEYS.has(error.property) ? '(hidden)' : JSON.stringify(raw[error.property]);
      return `${error.property}=${shown}: ${rules}`;
    });
    throw new ConfigError(`Invalid configuration: ${problems.join(' | ')}`);
  }
  return config;
}

/** The bounds on what one connection may have waiting: pipelined requests, unsent answer bytes, and how long they may stall. */
export function connectionLimitsOf(config: AppConfig): ConnectionLimits {
  return {
    maxPipelinedRequests: config.MAX_PIPELINED_REQUESTS,
    maxUnsentBytes: config.MAX_UNSENT_BYTES,
    stalledSendTimeoutMs: config.SEND_TIMEOUT_MS,
  };
}

/** The bounds every JSON body is checked against before it is parsed. */
export function jsonLimitsOf(config: AppConfig): JsonLimits {
  return { maxDepth: config.MAX_JSON_DEPTH, maxContainers: config.MAX_JSON_CONTAINERS };
}

/** TRUST_PROXY as Fastify's `trustProxy` option: undefined when no proxy is trusted (Fastify then reads no X-Forwarded-* header). */
export function trustProxyOf(config: AppConfig): string[] | undefined {
  const proxies = parseTrustedProxies(config.TRUST_PROXY);
  return proxies.length > 0 ? proxies : undefined;
}
