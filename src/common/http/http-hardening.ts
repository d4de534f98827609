import fastifyRateLimit, { type FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyRequest } from 'fastify';
import { errorBody } from '../errors/error-body';
import { EXPOSED_HEADERS } from './http-headers';
import { securityHeaderSets } from './security-headers';

/** The settings hardening reads (AppConfig's keys of the same names). */
export interface HardeningSettings {
  readonly HSTS_MAX_AGE: number;
  readonly CORS_ORIGINS: string;
  readonly RATE_LIMIT_MAX: number;
  readonly RATE_LIMIT_WINDOW_MS: number;
}

/**
 * Security headers (helmet's, fitted to plain HTTP or TLS per request), CORS
 * (off unless origins are configured) and optional rate limiting, per client IP or per `rateLimitKey`.
 */
export async function installHttpHardening(
  app: NestFastifyApplication,
  config: HardeningSettings,
  /** Paths of the platform's own traffic (probes, scrapes), never rate-limited. */
  unthrottledPrefixes: readonly string[],
  /** With several HTTP processes, the limit is counted once for the pod, by the primary. */
  sharedStore?: FastifyRateLimitStoreCtor,
  /** Whom a request is counted against, when not its IP address (the verified caller, with PREDICT_AUTH on). */
  rateLimitKey?: (request: FastifyRequest) => string | Promise<string>,
): Promise<void> {
  const headers = securityHeaderSets({ hstsMaxAgeSeconds: config.HSTS_MAX_AGE });
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onRequest', (request, reply, done) => {
      // The socket's own TLS, or X-Forwarded-Proto from a TRUST_PROXY peer only (Fastify checks the peer).
      void reply.headers(request.protocol === 'https' ? headers.tls : headers.plain);
      done();
    });
  if (config.CORS_ORIGINS) {
    app.enableCors({
      origin: config.CORS_ORIGINS === '*' ? '*' : config.CORS_ORIGINS.split(','),
      exposedHeaders: EXPOSED_HEADERS,
    });
  }
  if (config.RATE_LIMIT_MAX > 0) {
    await app.register(fastifyRateLimit, {
      max: config.RATE_LIMIT_MAX,
      timeWindow: config.RATE_LIMIT_WINDOW_MS,
      // A count the primary cannot give (it is stopping) lets the request through rather than failing it.
      ...(sharedStore ? { store: sharedStore, skipOnError: true } : {}),
      ...(rateLimitKey ? { keyGenerator: rateLimitKey } : {}),
      // Probes and scrapes come from the platform, not from clients: never throttle them.
      allowList: (request) => unthrottledPrefixes.some((prefix) => request.url.startsWith(prefix)),
      errorResponseBuilder: (_request, context) => ({
        ...errorBody(429, `rate limit of ${context.max} requests per ${context.after} exceeded (RATE_LIMIT_MAX); retry later`),
      }),
    });
  }
}
