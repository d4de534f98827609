import 'reflect-metadata';
import { plainToInstance, Type } from 'class-transformer';
import { IsIn, IsInt, IsNotEmpty, IsString, Max, Min, validateSync } from 'class-validator';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * Every setting the service reads from the environment, with its default.
 * The Helm chart's tests read this object, so a setting added here must be
 * exposed by the chart too.
 */
export const CONFIG_DEFAULTS = {
  PORT: 3000,
  HOST: '0.0.0.0',
  MODELS_DIR: './models',
  LOG_LEVEL: 'info' as LogLevel,
  /** Largest accepted JSON request body, in bytes. */
  BODY_LIMIT_BYTES: 1_048_576,
  /** Most instances one predict request may carry. */
  MAX_INSTANCES: 1024,
  /** Largest image file accepted in a multipart upload, in bytes. */
  MAX_UPLOAD_BYTES: 10_485_760,
  /** Most images in one multipart request. */
  MAX_FILES_PER_REQUEST: 32,
  /** Largest image accepted, in pixels (width x height), checked from the header before decoding: stops decompression bombs. */
  MAX_IMAGE_PIXELS: 25_000_000,
  /** onnxruntime threads inside one operator, per session. */
  INTRA_OP_THREADS: 1,
  /** onnxruntime threads across independent operators, per session. */
  INTER_OP_THREADS: 1,
};

export type ConfigKey = keyof typeof CONFIG_DEFAULTS;

/** The validated configuration; property names are the environment variable names. */
export class AppConfig {
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(65535)
  PORT!: number;

  @IsString()
  @IsNotEmpty()
  HOST!: string;

  @IsString()
  @IsNotEmpty()
  MODELS_DIR!: string;

  @IsIn(LOG_LEVELS)
  LOG_LEVEL!: LogLevel;

  @Type(() => Number)
  @IsInt()
  @Min(1024)
  BODY_LIMIT_BYTES!: number;

  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  MAX_INSTANCES!: number;

  @Type(() => Number)
  @IsInt()
  @Min(1)
  MAX_UPLOAD_BYTES!: number;

  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(10_000)
  MAX_FILES_PER_REQUEST!: number;

  @Type(() => Number)
  @IsInt()
  @Min(1)
  MAX_IMAGE_PIXELS!: number;

  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(64)
  INTRA_OP_THREADS!: number;

  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(64)
  INTER_OP_THREADS!: number;
}

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
      return `${error.property}=${JSON.stringify(raw[error.property])}: ${rules}`;
    });
    throw new ConfigError(`Invalid configuration: ${problems.join(' | ')}`);
  }
  return config;
}
