import { Transform, Type } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsNotEmpty, IsString, Max, Min, MinLength, ValidateIf } from 'class-validator';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Where the service listens and how its processes start, log and stop. Part of AppConfig (app-config.ts). */
export class ServerSettings {
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

  @IsIn(LOG_LEVELS)
  LOG_LEVEL: LogLevel = 'info';

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

  /** Bearer token of the admin API (/v1/admin); empty turns the admin API off (404). Pass it from a Secret. */
  @IsString()
  @ValidateIf((config: ServerSettings) => config.ADMIN_TOKEN !== '')
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

  /** Serve the playground page at /ui (models, a try-it form, live charts); false answers 404 there. */
  @Transform(({ value }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean({ message: 'UI_ENABLED must be true or false' })
  UI_ENABLED: boolean = true;
}
