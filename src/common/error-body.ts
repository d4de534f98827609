import { STATUS_CODES } from 'node:http';

/** The one error shape of the /v1 API and the service's own routes. */
export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
  details?: readonly string[];
}

/**
 * Longest message (and detail) an error body carries: messages quote what the
 * client sent (names, URLs), and an answer must never echo kilobytes of it back.
 */
export const MAX_ERROR_MESSAGE_CHARS = 2000;

export function errorBody(statusCode: number, message: string, details?: readonly string[]): ErrorBody {
  return {
    statusCode,
    error: STATUS_CODES[statusCode] ?? 'Error',
    message: capped(message),
    ...(details && details.length > 1 ? { details: details.map(capped) } : {}),
  };
}

function capped(text: string): string {
  return text.length > MAX_ERROR_MESSAGE_CHARS ? `${text.slice(0, MAX_ERROR_MESSAGE_CHARS)}... (cut)` : text;
}
