import 'reflect-metadata';
import { plainToInstance, Transform, Type } from 'class-transformer';
import type { JsonLimits } from '../common/validation/json-limits';
import type { ConnectionLimits } from '../common/http/connection-backpressure';
import { parseTrustedProxies } from '../common/http/trusted-proxies';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsNumber,
  IsString,
  Matches,
  Max,
  Min,
  MinLength,
  ValidateBy,
  ValidateIf,
  validateSync,
} from 'class-validator';
import { parseLogTarget } from './prediction-log-target';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Settings whose values never appear in messages or logs. */
const SECRET_KEYS: ReadonlySet<string> = new Set<ConfigKey>(['ADMIN_TOKEN', 'PREDICTION_LOG']);

/**
 * Every setting the service reads from the environment, with its default and
 * its rules: property names are the environment variable names. The Helm
 * chart's tests read CONFIG_DEFAULTS (derived from this class), so a setting
 * added here must be exposed by the chart too.
 */
export class AppConfig {
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(65535)
  PORT: number = 3000;

  @IsString()
  @IsNotEmpty()
  HOST: string = '0.0.0.0';

  /** Port of the Open Inference Protocol over gRPC (inference.GRPCInferenceService and grpc.health.v1), on HOST; 0 turns gRPC off. */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(65535)
  GRPC_PORT: number = 8001;

  /** Largest gRPC request message accepted, in bytes; a larger one is refused with RESOURCE_EXHAUSTED. */
  @Type(() => Number)
  @IsInt()
  @Min(1024)
  @Max(2_147_483_647)
  GRPC_MAX_MESSAGE_BYTES: number = 4_194_304;

  @IsString()
  @IsNotEmpty()
  MODELS_DIR: string = './models';

  @IsIn(LOG_LEVELS)
  LOG_LEVEL: LogLevel = 'info';

  /** Largest accepted JSON request body, in bytes. */
  @Type(() => Number)
  @IsInt()
  @Min(1024)
  BODY_LIMIT_BYTES: number = 1_048_576;

  /** Most instances one predict request may carry. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  MAX_INSTANCES: number = 1024;

  /** Largest image file accepted in a multipart upload, in bytes. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  MAX_UPLOAD_BYTES: number = 10_485_760;

  /** Most images in one multipart request. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(10_000)
  MAX_FILES_PER_REQUEST: number = 32;

  /** Most bytes of all uploaded files of one multipart request together. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  MAX_UPLOAD_TOTAL_BYTES: number = 33_554_432;

  /** Largest image accepted, in pixels (width x height), checked from the header before decoding: stops decompression bombs. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  MAX_IMAGE_PIXELS: number = 25_000_000;

  /** Directory of <model>.json model configs read in place of models/<model>/config.json; empty = beside the models. */
  @IsString()
  MODEL_CONFIG_DIR: string = '';

  /**
   * Models that must serve for /health/ready, comma-separated; empty = those present at start whose default
   * version loaded (so not one whose config.json was refused at start: it never blocks readiness unless named).
   */
  @Matches(/^([A-Za-z0-9][A-Za-z0-9_.-]{0,127}(,[A-Za-z0-9][A-Za-z0-9_.-]{0,127})*)?$/, {
    message: 'REQUIRED_MODELS must be model names separated by commas (or empty)',
  })
  REQUIRED_MODELS: string = '';

  /** How often MODELS_DIR is rescanned for new, changed and removed versions, in ms; 0 turns watching off. */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  MODEL_POLL_INTERVAL_MS: number = 2000;

  /** How long new or changed model files must stay unchanged before they are loaded, in ms (half-copied files are not). */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  MODEL_SETTLE_MS: number = 2000;

  /** Bearer token of the admin API (/v1/admin); empty turns the admin API off (404). Pass it from a Secret. */
  @IsString()
  @ValidateIf((config: AppConfig) => config.ADMIN_TOKEN !== '')
  @MinLength(16, { message: 'ADMIN_TOKEN must be at least 16 characters (or empty to turn the admin API off)' })
  ADMIN_TOKEN: string = '';

  /** After SIGTERM, keep accepting connections this long (ms) while readiness reports 503, so load balancers notice. */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  SHUTDOWN_DELAY_MS: number = 0;

  /** After SIGTERM, exit with code 1 if requests in flight have not finished within this time (ms). */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  SHUTDOWN_GRACE_MS: number = 20_000;

  /** A request not received completely within this time (ms) is refused with 408 (slow clients); 0 = no limit. */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  REQUEST_TIMEOUT_MS: number = 30_000;

  /**
   * Requests one connection may have sent without their answers having gone out (HTTP/1.1 pipelining);
   * one more closes the connection. Its requests run a few at a time whatever this is.
   */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(10_000)
  MAX_PIPELINED_REQUESTS: number = 32;

  /** Bytes of answers waiting to be sent on one connection above which its next request waits, unread. */
  @Type(() => Number)
  @IsInt()
  @Min(16_384)
  MAX_UNSENT_BYTES: number = 65_536;

  /** A connection with waiting requests whose answers do not move for this long (ms) is closed; 0 = never. */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  SEND_TIMEOUT_MS: number = 30_000;

  /** Deepest nesting of arrays and objects accepted in a JSON body (a 400 beyond). */
  @Type(() => Number)
  @IsInt()
  @Min(2)
  @Max(10_000)
  MAX_JSON_DEPTH: number = 64;

  /** Most arrays and objects in a JSON body, counted before parsing (a 400 beyond). */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  MAX_JSON_CONTAINERS: number = 100_000;

  /** Origins allowed by CORS, comma-separated, or * for any; empty turns CORS off. */
  @IsString()
  @Matches(/^(\*|[^,\s]+(,[^,\s]+)*)?$/, { message: 'CORS_ORIGINS must be empty, * or a comma-separated list of origins' })
  CORS_ORIGINS: string = '';

  /** Requests per client IP per RATE_LIMIT_WINDOW_MS before 429 with Retry-After; 0 turns rate limiting off. */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  RATE_LIMIT_MAX: number = 0;

  /** The rate-limit window, in ms. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  RATE_LIMIT_WINDOW_MS: number = 60_000;

  /**
   * Proxies (load balancer, Ingress controller) whose X-Forwarded-For and X-Forwarded-Proto are believed:
   * IP addresses, CIDR ranges and loopback / linklocal / uniquelocal, comma-separated; empty trusts none.
   * Only the connection's own peer is checked against it, never what a header claims.
   */
  @IsString()
  @ValidateBy({
    name: 'isTrustedProxyList',
    validator: {
      validate: (value: unknown) => typeof value === 'string' && trustedProxiesProblem(value) === undefined,
      defaultMessage: (args) => `TRUST_PROXY ${trustedProxiesProblem(String(args?.value ?? '')) ?? 'is not a valid list'}`,
    },
  })
  TRUST_PROXY: string = '';

  /** Strict-Transport-Security max-age (s), sent only on requests that came over TLS (the socket, or a TRUST_PROXY's X-Forwarded-Proto); 0 = no HSTS. */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  HSTS_MAX_AGE: number = 0;

  /**
   * Processes serving HTTP, sharing the port (each with its own event loop, so a 2-core pod uses both cores for
   * HTTP); more than 1 adds a primary process that merges their metrics, relays admin actions and holds the
   * rate-limit counts. 1 = a single process, as the tests' in-process apps.
   */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(64)
  HTTP_PROCESSES: number = 2;

  /** Worker threads running inference in the whole pod (shared among HTTP_PROCESSES, at least 1 each); 0 runs inference on the event loop. */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(64)
  INFERENCE_WORKERS: number = 2;

  /**
   * A model whose full batch (MAX_BATCH_SIZE rows) runs within this many µs runs on the event loop of each
   * HTTP process, not in workers; 0 = never. It is also the longest one batch holds an event loop.
   */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(1_000_000)
  INLINE_INFERENCE_MAX_US: number = 8000;

  /** Merge concurrent requests to one version into one inference (per model: config.json "batching"). */
  @Transform(({ value }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean({ message: 'BATCHING_ENABLED must be true or false' })
  BATCHING_ENABLED: boolean = true;

  /** Most instances one batched inference carries. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100_000)
  MAX_BATCH_SIZE: number = 32;

  /** How long (µs) a request may wait for others to join its batch; 0 = batch only what is already queued. */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(10_000_000)
  MAX_QUEUE_DELAY_US: number = 0;

  /** Most instances queued per version; more is refused at once with 503 and Retry-After. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  MAX_QUEUE_SIZE: number = 2048;

  /** Inference queued longer than this (ms) is dropped with 503 (a request may lower it with X-Request-Timeout-Ms); 0 = no limit. */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  QUEUE_TIMEOUT_MS: number = 30_000;

  /** onnxruntime threads inside one operator, per session. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(64)
  INTRA_OP_THREADS: number = 1;

  /** onnxruntime threads across independent operators, per session. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(64)
  INTER_OP_THREADS: number = 1;

  /** Watch each version's inputs and predictions against its manifest's drift reference (GET /v1/models/{name}/drift, *_drift_psi series). */
  @Transform(({ value }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean({ message: 'DRIFT_ENABLED must be true or false' })
  DRIFT_ENABLED: boolean = true;

  /** Serve the playground page at /ui (models, a try-it form, live charts); false answers 404 there. */
  @Transform(({ value }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean({ message: 'UI_ENABLED must be true or false' })
  UI_ENABLED: boolean = true;

  /**
   * Where every answered prediction is logged, in the background ('' = off): `file:<path>[?size=100M&keep=10]` (JSON
   * lines, one per instance, rotated by size; one file per HTTP process), `postgres://...` / `postgresql://...` (the
   * table prediction_log, created when missing) or `http(s)://...` (CloudEvents as KServe's payload logger sends
   * them). Logging never delays, fails or changes a prediction. May hold credentials: pass it from a Secret.
   */
  @IsString()
  @ValidateBy({
    name: 'isPredictionLogTarget',
    validator: {
      validate: (value: unknown) => typeof value === 'string' && logTargetProblem(value) === undefined,
      defaultMessage: (args) => `PREDICTION_LOG ${logTargetProblem(String(args?.value ?? '')) ?? 'is not a valid target'}`,
    },
  })
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

function trustedProxiesProblem(value: string): string | undefined {
  try {
    parseTrustedProxies(value);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

function logTargetProblem(value: string): string | undefined {
  try {
    parseLogTarget(value);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
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

/** The bounds every JSON body is checked against before it is parsed. */
export function connectionLimitsOf(config: AppConfig): ConnectionLimits {
  return {
    maxPipelinedRequests: config.MAX_PIPELINED_REQUESTS,
    maxUnsentBytes: config.MAX_UNSENT_BYTES,
    stalledSendTimeoutMs: config.SEND_TIMEOUT_MS,
  };
}

export function jsonLimitsOf(config: AppConfig): JsonLimits {
  return { maxDepth: config.MAX_JSON_DEPTH, maxContainers: config.MAX_JSON_CONTAINERS };
}

/** TRUST_PROXY as Fastify's `trustProxy` option: undefined when no proxy is trusted (Fastify then reads no X-Forwarded-* header). */
export function trustProxyOf(config: AppConfig): string[] | undefined {
  const proxies = parseTrustedProxies(config.TRUST_PROXY);
  return proxies.length > 0 ? proxies : undefined;
}
