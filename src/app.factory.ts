import fastifyMultipart from '@fastify/multipart';
import { NestFactory } from '@nestjs/core';
import { type FastifyBaseLogger, LogController } from 'fastify';
import type { Bindings, ChildLoggerOptions, Logger as PinoLogger } from 'pino';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger } from 'nestjs-pino';
import { ADMIN_BODY_LIMITS } from './admin/admin-routes';
import { REPOSITORY_BODY_LIMITS } from './admin/repository-requests';
import { Authenticator } from './auth/authenticator';
import { rateLimitKeyOf } from './auth/http-credentials';
import { ServerProcess } from './cluster/server-process';
import { sharedRateLimitStore } from './cluster/shared-rate-limit-store';
import { installBodyParsers } from './common/http/body-parsers';
import { answerClientError } from './common/errors/client-error';
import { httpServerSkippingClosedConnections, installConnectionBackpressure } from './common/http/connection-backpressure';
import { installHttpHardening } from './common/http/http-hardening';
import { type AppConfig, connectionLimitsOf, jsonLimitsOf, trustProxyOf } from './config/app-config';
import { AppModule } from './app.module';
import { HEALTH_PREFIXES } from './health/health-paths';
import { ReadinessDetails } from './health/readiness-details';
import { closeConnectionsWhileDraining } from './lifecycle/graceful-shutdown';
import { ShutdownState } from './lifecycle/shutdown-state';
import { HttpRequestRecords } from './observability/http-request-records';
import { installRequestHooks, RouterRefusals } from './observability/http-request-hooks';
import { installRequestTracing } from './observability/http-tracing';
import { createLogger, requestChildLogger } from './observability/logger';
import { MetricsService } from './observability/metrics.service';
import { METRICS_ROUTE } from './observability/metrics-path';
import { requestIdFor } from './observability/request-id';
import { Tracing } from './observability/tracing';
import { setUpSwagger } from './swagger';
import { SERVICE_VERSION } from './config/service-identity';

/**
 * Builds the whole application on Fastify, ready for `listen` or for tests'
 * `inject`: the same wiring in production and in end-to-end tests.
 */
export async function createApp(
  config: AppConfig,
  serverProcess: ServerProcess = ServerProcess.standalone(),
): Promise<NestFastifyApplication> {
  // With several HTTP processes every line says which one wrote it.
  const logger = createLogger(config.LOG_LEVEL, serverProcess.clustered ? { process: serverProcess.index } : {});
  const refusals = new RouterRefusals();
  const adapter = new FastifyAdapter({
    frameworkErrors: refusals.frameworkErrors,
    loggerInstance: logger,
    childLoggerFactory: (parent: FastifyBaseLogger, bindings: Bindings, options: ChildLoggerOptions) => requestChildLogger(parent as PinoLogger, bindings, options) as FastifyBaseLogger,
    // One line per request is written by our interceptors (or hook), with model and version in it.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'request_id' }),
    bodyLimit: config.BODY_LIMIT_BYTES,
    genReqId: requestIdFor,
    clientErrorHandler: answerClientError,
    // Bounds a slow client sending its request; slow inference is bounded by QUEUE_TIMEOUT_MS instead
    // (Fastify's handlerTimeout costs an AbortSignal per request, which profiles showed on the hot path).
    requestTimeout: config.REQUEST_TIMEOUT_MS,
    http: slowClientLimits(config.REQUEST_TIMEOUT_MS),
    serverFactory: httpServerSkippingClosedConnections,
    // request.ip (rate limits, logs) and request.protocol (HSTS) from X-Forwarded-* only when the peer is one of these.
    trustProxy: trustProxyOf(config),
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config, logger, serverProcess), adapter, {
    bufferLogs: true,
    // Fastify's own JSON parser is all we accept; Nest's would add a form (urlencoded) parser.
    bodyParser: false,
  });
  app.useLogger(app.get(Logger));

  const fastify = app.getHttpAdapter().getInstance();
  // First of all hooks: a connection's requests wait here, before anything is made for them, while its
  // earlier answers are unsent; a request the connection's closing drops never gets a context or a record.
  const connectionsClosed = app.get(MetricsService).http.connectionsClosed;
  installConnectionBackpressure(fastify, connectionLimitsOf(config), (reason, socket, outstanding) => {
    connectionsClosed.inc({ reason });
    logger.warn(
      { event: 'connection_closed', reason, client: `${socket.remoteAddress}:${socket.remotePort}`, outstanding },
      reason === 'too_many_pipelined_requests'
        ? `closed a connection that sent ${outstanding} requests without reading their answers (MAX_PIPELINED_REQUESTS=${config.MAX_PIPELINED_REQUESTS})`
        : `closed a connection whose answers stayed unsent for ${config.SEND_TIMEOUT_MS} ms while ${outstanding} requests waited (SEND_TIMEOUT_MS)`,
    );
  });
  // Then every request gets its context before any other hook can answer it (rate limit).
  installRequestHooks(fastify, app.get(HttpRequestRecords), refusals);
  installBodyParsers(fastify, config.BODY_LIMIT_BYTES, jsonLimitsOf(config), [ADMIN_BODY_LIMITS, REPOSITORY_BODY_LIMITS]);
  const auth = app.get(Authenticator);
  await installHttpHardening(
    app,
    config,
    [...HEALTH_PREFIXES, METRICS_ROUTE],
    serverProcess.primary ? sharedRateLimitStore(serverProcess.primary) : undefined,
    // With PREDICT_AUTH on, each caller has its own limit (a refused or missing credential counts against its IP).
    rateLimitKeyOf(auth),
  );
  if (auth.enabled) app.get(ReadinessDetails).show('auth', () => auth.details());
  // Only when OTEL_EXPORTER_OTLP_ENDPOINT turned tracing on: otherwise no hook, no span, no SDK.
  const spans = app.get(Tracing).spans;
  if (spans) installRequestTracing(fastify, spans, [...HEALTH_PREFIXES, METRICS_ROUTE]);
  closeConnectionsWhileDraining(fastify, app.get(ShutdownState));

  await app.register(fastifyMultipart, {
    limits: {
      fileSize: config.MAX_UPLOAD_BYTES,
      files: config.MAX_FILES_PER_REQUEST,
      fields: 16,
      parts: config.MAX_FILES_PER_REQUEST + 16,
    },
  });
  // No global ValidationPipe: every parameter is read by a decorator or a pipe of its own (bodies by compiled
  // schemas, versions by ParsePathVersionPipe and the request params), and Nest would still run a global pipe,
  // asynchronously, on each parameter of every request.
  setUpSwagger(app, SERVICE_VERSION);
  return app;
}

/**
 * Node checks its request and header timeouts only every
 * connectionsCheckingInterval (30 s by default), so with REQUEST_TIMEOUT_MS
 * of 3 s a client trickling its headers got its 408 after about 25 s, and one
 * trickling its body after more than a minute. The check now runs at a tenth
 * of the timeout (between 100 ms and 1 s), and the headers get no longer than
 * the whole request.
 */
function slowClientLimits(requestTimeoutMs: number): { connectionsCheckingInterval?: number; headersTimeout?: number } {
  if (requestTimeoutMs <= 0) return {};
  return {
    connectionsCheckingInterval: Math.min(1000, Math.max(100, Math.floor(requestTimeoutMs / 10))),
    headersTimeout: Math.min(requestTimeoutMs, 60_000),
  };
}
