import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { routeBodyLimits, type RouteBodyLimits } from './body-parsers';
import { isOpenInferenceRequest } from './open-inference-route';
import { DomainError, isRetryLater } from '../errors/domain-error';
import { errorBody, type ErrorBody } from '../errors/error-body';
import { quoted } from '../errors/quoted';
import { RETRY_AFTER_HEADER } from './http-headers';
import { loggableUrl } from './loggable-url';

/**
 * Maps every error that leaves a handler to a status and the one error body.
 * Services throw DomainErrors with a code; Nest and Fastify raise
 * HttpExceptions and errors carrying a statusCode; anything else is a bug and
 * answers a 500 without internals, logged with its stack.
 */
@Catch()
export class ErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('ErrorFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const request = host.switchToHttp().getRequest<FastifyRequest>();
    if (isHealthReport(exception)) {
      // Terminus reports "not ready" as a 503 whose body is the per-check detail; operators need it intact.
      void reply.status(exception.getStatus()).send(exception.getResponse());
      return;
    }
    const body = toErrorBody(exception, request.headers['content-type'], routeBodyLimits(request));
    if (exception instanceof DomainError && exception.headers) void reply.headers(exception.headers);
    const retryLater = exception instanceof DomainError && isRetryLater(exception.code);
    if (retryLater) {
      // Queues are short and models load in seconds: a client that waits a second finds room again.
      void reply.header(RETRY_AFTER_HEADER, '1');
    }
    // Overload and loading refusals are expected and counted (503 in the request log and metrics), not faults.
    if (body.statusCode >= 500 && !retryLater) {
      this.logger.error(
        `${request.method} ${loggableUrl(request.url)} failed: ${exception instanceof Error ? exception.stack : String(exception)}`,
      );
    }
    if (isOpenInferenceRequest(request)) {
      // The Open Inference Protocol's error shape; its clients expect 400 for every invalid argument.
      const status = body.statusCode === 422 ? 400 : body.statusCode;
      void reply.status(status).send({ error: body.message });
      return;
    }
    void reply.status(body.statusCode).send(body);
  }
}

function isHealthReport(exception: unknown): exception is HttpException {
  if (!(exception instanceof HttpException)) return false;
  const response = exception.getResponse();
  return typeof response === 'object' && response !== null && 'status' in response && 'details' in response;
}

export function toErrorBody(exception: unknown, contentType?: string, bodyLimits?: RouteBodyLimits): ErrorBody {
  if (exception instanceof DomainError) {
    return errorBody(exception.status, shortenRouteNotFound(exception.message), exception.details, exception.code);
  }
  if (exception instanceof HttpException) {
    // Nest wraps Fastify's own refusals (bad JSON, too large, bad media type); their code says more than the text.
    const cause = exception.cause as (Error & { code?: string }) | undefined;
    if (cause?.code?.startsWith('FST_')) return errorBody(exception.getStatus(), clientMessage(cause, exception.getStatus(), contentType, bodyLimits));
    const response = exception.getResponse();
    const message =
      typeof response === 'string'
        ? response
        : Array.isArray((response as { message?: unknown }).message)
          ? ((response as { message: string[] }).message).join('; ')
          : String((response as { message?: unknown }).message ?? exception.message);
    return errorBody(exception.getStatus(), shortenRouteNotFound(message));
  }
  const status = (exception as { statusCode?: unknown })?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return errorBody(status, clientMessage(exception as Error & { code?: string }, status, contentType, bodyLimits));
  }
  return errorBody(500, 'internal error while handling the request');
}

/** Fastify's own messages for refused bodies, made to say what the client should change. */
function clientMessage(
  error: Error & { code?: string },
  status: number,
  contentType: string | undefined,
  bodyLimits: RouteBodyLimits | undefined,
): string {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return bodyLimits
        ? `request body is larger than ${bodyLimits.bytes} bytes (${bodyLimits.json.fixedFor})`
        : 'request body is larger than the limit of this service (BODY_LIMIT_BYTES)';
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return `unsupported Content-Type ${contentType ? quoted(contentType, 100) : '(none given)'}; send application/json`;
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return 'request body is empty; send a JSON object';
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return `request body is not valid JSON: ${error.message}`;
    default:
      if (status === 400 && error instanceof SyntaxError) return `request body is not valid JSON: ${error.message}`;
      return error.message;
  }
}

/** Nest's 404 for an unknown route quotes the whole URL, up to 16 KB of it: the path is cut to what identifies it. */
function shortenRouteNotFound(message: string): string {
  return message.replace(/^(Cannot [A-Z]+ )(.{200}).+$/s, '$1$2...');
}
