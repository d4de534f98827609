import type * as Api from '@opentelemetry/api';
import type { Logger } from 'pino';
import type { BatchedRun } from '../inference/engine-contracts';
import { SERVICE_NAME } from '../config/service-identity';
import type { ServerSpan, SpanStarter } from './spans';
import { placementKind } from '../inference/engine-contracts';

/**
 * The one place that loads OpenTelemetry, and only when tracing is on
 * (tracing.ts decides): the packages are required inside startSdkTracing,
 * never at the top of a module, so an untraced process loads none of them.
 *
 * The SDK is NodeSDK configured by the standard OTEL_* variables (exporter
 * protocol, endpoint, headers, sampler, batch processor, resource
 * attributes, propagators), with three choices of ours:
 * - no instrumentations: the spans are made by hand in the hooks the
 *   service already has (a Fastify hook, the gRPC call wrapper, the batcher);
 *   the automatic HTTP and Fastify instrumentations would wrap every request
 *   in several more spans and cost far more;
 * - a context manager that carries nothing: each span's parent is passed
 *   explicitly (the request's span rides on the request context down to the
 *   batcher), so nothing pays for AsyncLocalStorage on every await;
 * - traces only: the metrics are Prometheus' at /metrics and the logs pino's on
 *   stdout, so the SDK's metric readers and log processors are left empty.
 */
export function startSdkTracing(env: NodeJS.ProcessEnv, logger: Logger, serviceVersion: string): SpanStarter {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const api = require('@opentelemetry/api') as typeof import('@opentelemetry/api');
  const { NodeSDK } = require('@opentelemetry/sdk-node') as typeof import('@opentelemetry/sdk-node');
  const { defaultResource, resourceFromAttributes } = require('@opentelemetry/resources') as typeof import('@opentelemetry/resources');
  /* eslint-enable @typescript-eslint/no-require-imports */

  const sdk = new NodeSDK({
    // The resource detectors (process, host, OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES) override these.
    resource: defaultResource().merge(resourceFromAttributes({ 'service.name': SERVICE_NAME, 'service.version': serviceVersion })),
    instrumentations: [],
    contextManager: new ExplicitParentsOnly(api.ROOT_CONTEXT),
    metricReaders: [],
    logRecordProcessors: [],
  });
  // The SDK's own complaints (a collector that refuses or cannot be reached) go to the service's log,
  // unless OTEL_LOG_LEVEL asked the SDK for its console logger.
  if (env.OTEL_LOG_LEVEL === undefined) api.diag.setLogger(new DiagToPino(logger), { logLevel: api.DiagLogLevel.WARN, suppressOverrideMessage: true });
  sdk.start();
  const tracer = api.trace.getTracer(SERVICE_NAME, serviceVersion);
  logger.info({ endpoint: env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_EXPORTER_OTLP_ENDPOINT }, 'tracing: exporting spans over OTLP');

  return {
    httpRequest(method, route, path, requestId, headers) {
      const parent = api.propagation.extract(api.ROOT_CONTEXT, headers);
      const known = KNOWN_METHODS.has(method);
      const attributes: Api.Attributes = {
        'http.request.method': known ? method : '_OTHER',
        'url.path': path,
        'url.scheme': 'http',
        'request.id': requestId,
      };
      if (route !== undefined) attributes['http.route'] = route;
      const name = route === undefined ? (known ? method : 'HTTP') : `${known ? method : 'HTTP'} ${route}`;
      return new SdkServerSpan(api, tracer, tracer.startSpan(name, { kind: api.SpanKind.SERVER, attributes }, parent));
    },

    grpcCall(service, method, requestId, metadata) {
      const parent = api.propagation.extract(api.ROOT_CONTEXT, metadata, METADATA_GETTER);
      const attributes: Api.Attributes = { 'rpc.system': 'grpc', 'rpc.service': service, 'rpc.method': method, 'request.id': requestId };
      return new SdkServerSpan(api, tracer, tracer.startSpan(`${service}/${method}`, { kind: api.SpanKind.SERVER, attributes }, parent));
    },

    async shutdown(timeoutMs) {
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), timeoutMs);
      });
      try {
        const outcome = await Promise.race([sdk.shutdown().then(() => 'done' as const), timedOut]);
        if (outcome === 'timeout') logger.warn({ timeout_ms: timeoutMs }, 'tracing: the last spans were not exported in time; dropping them');
      } catch (error) {
        logger.warn({ err: error }, 'tracing: exporting the last spans failed');
      } finally {
        clearTimeout(timer);
        // Lets a later app in the same process (tests) register its own provider and propagator.
        api.trace.disable();
        api.propagation.disable();
        api.context.disable();
        api.diag.disable();
      }
    },
  };
}

/** Methods OpenTelemetry's HTTP conventions name as they are; any other is "_OTHER", so clients cannot create span names. */
const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH', 'QUERY']);

/** Reads a propagator's fields (traceparent, tracestate; b3 with OTEL_PROPAGATORS=b3) from the call's metadata. */
const METADATA_GETTER: Api.TextMapGetter<(key: string) => string | undefined> = {
  get: (metadata, key) => metadata(key),
  keys: () => ['traceparent', 'tracestate'],
};

class SdkServerSpan implements ServerSpan {
  readonly traceId: string;
  /** performance.now() when the span started, and the span's start time: the clock its children are placed by. */
  private readonly startedAt = performance.now();
  private readonly anchor: Api.HrTime | undefined;
  private childParent: Api.Context | undefined;
  /** The version serving the request, once the runner has named it: on this span and both children. */
  private model: string | undefined;
  private version = 0;

  constructor(
    private readonly api: typeof Api,
    private readonly tracer: Api.Tracer,
    private readonly span: Api.Span,
  ) {
    this.traceId = span.spanContext().traceId;
    this.anchor = (span as Partial<{ startTime: Api.HrTime }>).startTime;
  }

  served(model: string, version: number, cache: 'hit' | 'miss' | undefined): void {
    this.model = model;
    this.version = version;
    this.span.setAttribute('model.name', model).setAttribute('model.version', version);
    if (cache !== undefined) this.span.setAttribute('model.cache', cache);
  }

  /** A span for the queue wait and one for the batch's inference, children of this one; a trace never fails its request. */
  batched(run: BatchedRun): void {
    if (!this.span.isRecording()) return;
    try {
      const api = this.api;
      const parent = (this.childParent ??= api.trace.setSpan(api.ROOT_CONTEXT, this.span));
      const model = this.model === undefined ? undefined : { 'model.name': this.model, 'model.version': this.version };
      const queue = this.tracer.startSpan('queue', { kind: api.SpanKind.INTERNAL, startTime: this.at(run.enqueuedAt), attributes: model }, parent);
      if (run.finishedAt === undefined) {
        queue.setStatus({ code: api.SpanStatusCode.ERROR, message: run.error });
        queue.end(this.at(run.startedAt));
        return;
      }
      queue.end(this.at(run.startedAt));
      const inference = this.tracer.startSpan('inference', { kind: api.SpanKind.INTERNAL, startTime: this.at(run.startedAt), attributes: model }, parent);
      inference
        .setAttribute('batch.size', run.batchRows)
        .setAttribute('batch.requests', run.batchRequests)
        .setAttribute('inference.rows', run.rows)
        .setAttribute('inference.placement', placementKind(run.placement));
      if (run.error !== undefined) inference.setStatus({ code: api.SpanStatusCode.ERROR, message: run.error });
      inference.end(this.at(run.finishedAt));
    } catch {
      // spans are best effort
    }
  }

  /**
   * A performance.now() time on this span's clock. The SDK turns a number into a time by each span's
   * own reading of Date.now(), so children given numbers drift from their parent and from each other
   * by up to a millisecond (a queue span ending after its inference began); the SDK ends this span
   * at its start time plus performance.now()'s count, and its children are placed the same way.
   */
  private at(time: number): Api.TimeInput {
    if (this.anchor === undefined) return time;
    const nanos = this.anchor[1] + Math.round((time - this.startedAt) * 1e6);
    const seconds = Math.floor(nanos / 1e9);
    return [this.anchor[0] + seconds, nanos - seconds * 1e9];
  }

  headers(): Record<string, string> {
    const headers: Record<string, string> = {};
    this.api.propagation.inject(this.childParent ?? this.api.trace.setSpan(this.api.ROOT_CONTEXT, this.span), headers);
    return headers;
  }

  end(attributes: Readonly<Record<string, string | number>>, failed: boolean, model?: string, version?: number): void {
    const span = this.span;
    if (!span.isRecording()) {
      span.end();
      return;
    }
    span.setAttributes(attributes);
    if (this.model === undefined && model !== undefined && version !== undefined) {
      span.setAttributes({ 'model.name': model, 'model.version': version });
    }
    if (failed) span.setStatus({ code: this.api.SpanStatusCode.ERROR });
    span.end();
  }
}

/**
 * The context manager of a service that passes every span's parent
 * explicitly: there is no active context to carry across awaits, so nothing
 * pays for AsyncLocalStorage (NodeSDK's default) on every request.
 */
class ExplicitParentsOnly implements Api.ContextManager {
  constructor(private readonly root: Api.Context) {}

  active(): Api.Context {
    return this.root;
  }

  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(_context: Api.Context, fn: F, thisArg?: ThisParameterType<F>, ...args: A): ReturnType<F> {
    return fn.call(thisArg, ...args);
  }

  bind<T>(_context: Api.Context, target: T): T {
    return target;
  }

  enable(): this {
    return this;
  }

  disable(): this {
    return this;
  }
}

/**
 * OpenTelemetry's diagnostics as pino lines. An unreachable collector fails
 * every export (one per OTEL_BSP_SCHEDULE_DELAY, 5 s by default, per
 * process): the same message is written at most once a minute.
 */
class DiagToPino implements Api.DiagLogger {
  private readonly lastWritten = new Map<string, number>();

  constructor(private readonly logger: Logger) {}

  error = (message: string, ...args: unknown[]): void => this.write('error', message, args);
  warn = (message: string, ...args: unknown[]): void => this.write('warn', message, args);
  info = (): void => undefined;
  debug = (): void => undefined;
  verbose = (): void => undefined;

  private write(level: 'error' | 'warn', message: string, args: unknown[]): void {
    const detail = args.map((arg) => (arg instanceof Error ? arg.message : typeof arg === 'string' ? arg : safeJson(arg))).join(' ');
    const text = `tracing: ${readable(message)}${detail ? ` ${detail}` : ''}`;
    const now = Date.now();
    if (now - (this.lastWritten.get(text) ?? -Infinity) < 60_000) return;
    if (this.lastWritten.size > 100) this.lastWritten.clear();
    this.lastWritten.set(text, now);
    this.logger[level]({ component: 'opentelemetry' }, text);
  }
}

/** The SDK reports a failed export as the error serialized to JSON, stack and all: its message is what a reader needs. */
function readable(message: string): string {
  if (!message.startsWith('{')) return message;
  try {
    const parsed = JSON.parse(message) as { message?: unknown };
    return typeof parsed.message === 'string' ? parsed.message : message;
  } catch {
    return message;
  }
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
