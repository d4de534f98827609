import pino, { type Logger } from 'pino';
import type { LogLevel } from '../config/app-config';

export const PINO_LOGGER = Symbol('PINO_LOGGER');

/**
 * Lines are written once this many bytes are buffered (about 12 request lines: each write costs a
 * system call and a wake-up of a thread-pool thread, which profiles under load showed per write)...
 */
const LOG_BUFFER_BYTES = 4000;
/**
 * ...in writes of whole lines never larger than this: Linux writes up to
 * PIPE_BUF (4 KiB) bytes to a pipe at once, so with HTTP_PROCESSES > 1 the
 * processes sharing the container's stdout never interleave inside a line.
 */
const LOG_WRITE_MAX_BYTES = 4096;
/** ...or this long after the last write, so a quiet service's lines still appear at once. */
const LOG_FLUSH_INTERVAL_MS = 200;

/**
 * One JSON logger for the whole process: Nest's own messages and the
 * per-request lines. Lines go to stdout in buffered, asynchronous writes: a
 * write per request line cost the event loop a system call (and a thread-pool
 * hand-off) per request, about a sixth of a request's cost under load
 * (measured against LOG_LEVEL=warn). pino flushes what is left synchronously
 * when the process exits, so only a SIGKILL can lose the last lines.
 */
export function createLogger(level: LogLevel, fields: Record<string, string | number> = {}): Logger {
  const destination = pino.destination({ dest: 1, sync: false, minLength: LOG_BUFFER_BYTES, maxWrite: LOG_WRITE_MAX_BYTES });
  setInterval(() => flushQuietly(destination), LOG_FLUSH_INTERVAL_MS).unref();
  return pino(
    {
      level,
      base: { service: 'onnx-model-server', ...fields },
      timestamp: isoTimeOncePerMillisecond(),
      formatters: { level: (label) => ({ level: label }) },
      // Request lines name no header, but a request or its headers logged whole (by Fastify, a library's
      // error) must never carry a caller's credential (PREDICT_AUTH, ADMIN_TOKEN).
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    },
    destination,
  );
}

/** Where a credential would be in a logged request, response or gRPC call. */
const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'request.headers.authorization',
  'request.headers["x-api-key"]',
  'headers.authorization',
  'headers["x-api-key"]',
  'metadata.authorization',
  'metadata["x-api-key"]',
];

/** flush() throws while the stream is still opening or already closed; both are fine to skip. */
function flushQuietly(destination: ReturnType<typeof pino.destination>): void {
  try {
    destination.flush();
  } catch {
    // the next tick of the interval (or pino's exit flush) writes the lines
  }
}

/**
 * pino's isoTime, with the ISO string built once per millisecond rather than
 * once per line: under load several request lines share a millisecond, and
 * `new Date().toISOString()` showed in profiles of every request.
 */
export function isoTimeOncePerMillisecond(): () => string {
  let lastMs = -1;
  let field = '';
  return () => {
    const now = Date.now();
    if (now !== lastMs) {
      lastMs = now;
      field = `,"time":"${new Date(now).toISOString()}"`;
    }
    return field;
  };
}

/**
 * Fastify makes a child logger for every request (`request.log`, bound to its request id), and pino's
 * child() serialises the bindings and builds a new logger object each time: about 4% of the busy time
 * of a process flooded with small requests in a profile. Only Fastify's own rare messages (errors,
 * aborted requests) use it; the service writes its request lines itself. So the child is made on its
 * first use: a request that logs nothing through Fastify costs one small object.
 */
export function requestChildLogger(logger: Logger, bindings: pino.Bindings, options: pino.ChildLoggerOptions): Logger {
  return new LazyChildLogger(logger, bindings, options) as unknown as Logger;
}

class LazyChildLogger {
  private made: Logger | undefined;

  constructor(
    private readonly parent: Logger,
    private readonly bindings: pino.Bindings,
    private readonly options: pino.ChildLoggerOptions,
  ) {}

  private get logger(): Logger {
    return (this.made ??= this.parent.child(this.bindings, this.options));
  }

  get level(): string {
    return this.logger.level;
  }

  set level(level: string) {
    this.logger.level = level;
  }

  isLevelEnabled(level: string): boolean {
    return this.parent.isLevelEnabled(level);
  }

  child(bindings: pino.Bindings, options?: pino.ChildLoggerOptions): Logger {
    return this.logger.child(bindings, options);
  }

  fatal(...args: Parameters<pino.LogFn>): void {
    this.logger.fatal(...args);
  }

  error(...args: Parameters<pino.LogFn>): void {
    this.logger.error(...args);
  }

  warn(...args: Parameters<pino.LogFn>): void {
    this.logger.warn(...args);
  }

  info(...args: Parameters<pino.LogFn>): void {
    this.logger.info(...args);
  }

  debug(...args: Parameters<pino.LogFn>): void {
    this.logger.debug(...args);
  }

  trace(...args: Parameters<pino.LogFn>): void {
    this.logger.trace(...args);
  }

  silent(): void {}
}
