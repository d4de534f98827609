import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { REQUEST_ID_HEADER } from '../common/http/http-headers';

const ACCEPTED_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Keeps a caller's `X-Request-Id` so one id follows a request across services,
 * but only when it is short and plain; anything else gets a fresh UUID so the
 * logs cannot be flooded or forged through this header.
 */
export function requestIdFor(request: IncomingMessage): string {
  return acceptedRequestId(request.headers[REQUEST_ID_HEADER]);
}

/** The caller's id when it is acceptable (HTTP header or gRPC metadata value), else a fresh UUID. */
export function acceptedRequestId(given: unknown): string {
  return typeof given === 'string' && ACCEPTED_REQUEST_ID.test(given) ? given : randomUUID();
}
