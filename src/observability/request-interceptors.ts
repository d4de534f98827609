import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { Observable } from 'rxjs';
import type { RequestContext, RequestRecorder } from '../request-context/request-context';
import { HttpRequestRecords } from './http-request-records';

/** `Controller.method` of each handler, made once rather than per request. */
const handlerNames = new WeakMap<object, string>();

/**
 * What both interceptors do on the way in: name the request context after
 * the handler (`Controller.method`) the first time, and register to write
 * their records once the response has gone out (the hook in
 * http-request-hooks.ts tells the context). Written then, not when the
 * handler's observable completes, a record's duration is the client's.
 * Requests refused by a pipe or thrown by the handler are recorded the same
 * way; those that never reach a handler are recorded by that hook.
 */
abstract class RecordingInterceptor implements NestInterceptor, RequestRecorder {
  intercept(execution: ExecutionContext, next: CallHandler): Observable<unknown> {
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
    context.recordBy(this);
    return next.handle();
  }

  abstract record(context: RequestContext, statusCode: number, durationMs: number): void;
}

/**
 * Latency logging, as the service's design asks: one JSON line per request a
 * handler takes, with the handler, model, version, outcome and timings, all
 * read from the request context.
 */
@Injectable()
export class LatencyLoggingInterceptor extends RecordingInterceptor {
  constructor(private readonly records: HttpRequestRecords) {
    super();
  }

  record(context: RequestContext, statusCode: number, durationMs: number): void {
    this.records.log(context, statusCode, durationMs);
  }
}

/**
 * Prometheus metrics, as the service's design asks: one observation of
 * http_request_duration_seconds (method, route template, status) per request
 * a handler takes. model_predictions_total is counted by the runner when a
 * prediction's work ends, whatever becomes of its answer, for HTTP and gRPC alike.
 */
@Injectable()
export class MetricsInterceptor extends RecordingInterceptor {
  constructor(private readonly records: HttpRequestRecords) {
    super();
  }

  record(context: RequestContext, statusCode: number, durationMs: number): void {
    this.records.observe(context, statusCode, durationMs);
  }
}
