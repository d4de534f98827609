import pino, { type Logger } from 'pino';
import type { LogLevel } from '../config/app-config';

export const PINO_LOGGER = Symbol('PINO_LOGGER');

/** One JSON logger for the whole process: Nest's own messages and the per-request lines. */
export function createLogger(level: LogLevel): Logger {
  return pino({
    level,
    base: { service: 'onnx-model-server' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  });
}
