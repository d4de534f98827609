import pino, { type Logger } from 'pino';
import type { LogLevel } from '../config/app-config';

export const PINO_LOGGER = Symbol('PINO_LOGGER');

/**
 * One JSON logger for the whole process: Nest's own messages and the
 * per-request lines. Lines go to stdout asynchronously: a synchronous write
 * per request line was a system call on the event loop for every request
 * (several percent of it under load). While a write is in flight, the next
 * lines gather and go out together; pino flushes what is left synchronously
 * when the process exits, so only a SIGKILL can lose the last lines.
 */
export function createLogger(level: LogLevel): Logger {
  return pino(
    {
      level,
      base: { service: 'onnx-model-server' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    pino.destination({ dest: 1, sync: false }),
  );
}
