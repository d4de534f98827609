import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { Observable } from 'rxjs';
import type { RequestContext, RequestRecorder } from '../request-context/request-context';
import { HttpRequestRecords } from './http-request-records';

/** `Controller.method` of each handler, made once rather than per request. */
const handlerNames = new WeakMap<object, string>();

/**
 * The request context of the request a Nest handler is about to take, named
 * after the handler (`Controller.method`) the first time an interceptor sees it.
 */
function handledContext(execution: ExecutionContext): RequestContext {
  const context = execution.switchToHttp().getRequest<FastifyRequest>().requestContext;
  if (context.handler === undefined) {
    const handler = execution.getHandler();
    let name = handlerNames.get(handler);
    if (name === undefined) {
      name = `${execution.getClass().name}.${handler.name}`;
      handlerNames.set(handler, name);
    }
    context.handler = name;
  }
  return context;
}

/**
 * Latency logging, as the service's design asks: one JSON line per request a
 * handler takes, with the handler, model, version, outcome and timings, all
 * read from the request context. The line is written when the response has
 * gone out (the hook in http-request-hooks.ts tells the context), not when
 * the handler's observable completes, so its duration is the client's.
 * Requests refused by a pipe or thrown by the handler are recorded the same
 * way; those that never reach a handler are recorded by that hook.
 */
@Injectable()
export class LatencyLoggingInterceptor implements NestInterceptor, RequestRecorder {
  constructor(private readonly records: HttpRequestRecords) {}

  intercept(execution: ExecutionContext, next: CallHandler): Observable<unknown> {
    handledContext(execution).recordBy(this);
    return next.handle();
  }

  record(context: RequestContext, statusCode: number, durationMs: number): void {
    this.records.log(context, statusCode, durationMs);
  }
}

/**
 * Prometheus metrics, as the service's design asks: one observation of
 * http_request_duration_seconds (method, route template, status) per request
 * a handler takes, at the end of its response, like the log line above.
 * model_predictions_total is counted by the runner when a prediction's work
 * ends, whatever becomes of its answer, for HTTP and gRPC alike.
 */
@Injectable()
export class MetricsInterceptor implements NestInterceptor, RequestRecorder {
  constructor(private readonly records: HttpRequestRecords) {}

  intercept(execution: ExecutionContext, next: CallHandler): Observable<unknown> {
    handledContext(execution).recordBy(this);
    return next.handle();
  }

  record(context: RequestContext, statusCode: number, durationMs: number): void {
    this.records.observe(context, statusCode, durationMs);
  }
}
