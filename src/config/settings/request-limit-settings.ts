import { Type } from 'class-transformer';
import { IsInt, IsString, Matches, Max, Min } from 'class-validator';
import { ParsedBy } from './parsed-setting';
import { parseTrustedProxies } from '../../common/http/trusted-proxies';
import { ServerSettings } from './server-settings';

/** What one request or connection may cost, and how the service is reached (CORS, rate limit, proxies, HSTS). Part of AppConfig. */
export class RequestLimitSettings extends ServerSettings {
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
  @ParsedBy('isTrustedProxyList', parseTrustedProxies)
  TRUST_PROXY: string = '';

  /** Strict-Transport-Security max-age (s), sent only on requests that came over TLS (the socket, or a TRUST_PROXY's X-Forwarded-Proto); 0 = no HSTS. */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  HSTS_MAX_AGE: number = 0;
}
