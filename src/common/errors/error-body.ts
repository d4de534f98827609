import { STATUS_CODES } from 'node:http';
import { shortened } from './quoted';

/** The one error shape of the /v1 API and the service's own routes. */
export interface ErrorBody {
  statusCode: number;
  /** Stable and machine-readable (MODEL_NOT_FOUND, INVALID_INPUT...): clients branch on it, not on the message. */
  code: string;
  error: string;
  message: string;
  details?: readonly string[];
}

/**
 * Longest message (and detail) an error body carries: messages quote what the
 * client sent (names, URLs), and an answer must never echo kilobytes of it back.
 */
export const MAX_ERROR_MESSAGE_CHARS = 2000;

/** The code of a refusal that is not one of the service's own errors (Fastify's, Node's, the rate limiter's), by status. */
const CODE_BY_STATUS: Readonly<Record<number, string>> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  408: 'REQUEST_TIMEOUT',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  414: 'URI_TOO_LONG',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  422: 'INVALID_INPUT',
  429: 'RATE_LIMITED',
  431: 'HEADERS_TOO_LARGE',
  503: 'UNAVAILABLE',
};

export function errorBody(statusCode: number, message: string, details?: readonly string[], code?: string): ErrorBody {
  return {
    statusCode,
    code: code ?? CODE_BY_STATUS[statusCode] ?? (statusCode >= 500 ? 'INTERNAL_ERROR' : 'BAD_REQUEST'),
    error: STATUS_CODES[statusCode] ?? 'Error',
    message: capped(message),
    ...(details && details.length > 1 ? { details: details.map(capped) } : {}),
  };
}

function capped(text: string): string {
  return shortened(text, MAX_ERROR_MESSAGE_CHARS, '... (cut)');
}
