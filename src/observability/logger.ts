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
    },
    destination,
  );
}

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
