import fastifyRateLimit, { type FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { IncomingMessage, ServerResponse } from 'node:http';
import helmet from 'helmet';
import type { AppConfig } from '../config/app-config';
import { errorBody } from './error-body';
import { EXPOSED_HEADERS } from './http-headers';


/**
 * Security headers (helmet), CORS (off unless origins are configured) and
 * optional per-IP rate limiting. Swagger UI's own scripts and styles are
 * served from this origin, so helmet's default Content-Security-Policy holds;
 * only inline styles and data: images, which Swagger UI uses, are allowed.
 */
export async function installHttpHardening(
  app: NestFastifyApplication,
  config: AppConfig,
  /** Paths of the platform's own traffic (probes, scrapes), never rate-limited. */
  unthrottledPrefixes: readonly string[],
  /** With several HTTP processes, the limit is counted once for the pod, by the primary. */
  sharedStore?: FastifyRateLimitStoreCtor,
): Promise<void> {
  // helmet's headers depend only on this configuration (no CSP nonces), so they are computed once and
  // sent as they are: @fastify/helmet rebuilds the middleware and reparses the CSP on every request,
  // which showed as several percent of the predict path in profiles.
  const securityHeaders = helmet({
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
      },
    },
  });
  const headers = headersSetBy(securityHeaders);
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onRequest', (_request, reply, done) => {
      void reply.headers(headers);
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
      // Probes and scrapes come from the platform, not from clients: never throttle them.
      allowList: (request) => unthrottledPrefixes.some((prefix) => request.url.startsWith(prefix)),
      errorResponseBuilder: (_request, context) => ({
        ...errorBody(429, `rate limit of ${context.max} requests per ${context.after} exceeded (RATE_LIMIT_MAX); retry later`),
      }),
    });
  }
}

/** The headers a helmet middleware sets, captured from one call on a stand-in response. */
function headersSetBy(middleware: ReturnType<typeof helmet>): Record<string, string> {
  const headers: Record<string, string> = {};
  const response = {
    setHeader: (name: string, value: string | number | readonly string[]) => {
      headers[name.toLowerCase()] = String(value);
    },
    removeHeader: () => undefined,
  };
  middleware({} as IncomingMessage, response as unknown as ServerResponse, () => undefined);
  return headers;
}
