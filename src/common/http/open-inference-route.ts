import type { FastifyRequest } from 'fastify';

/** Where the Open Inference Protocol's REST routes live. */
export const OPEN_INFERENCE_PREFIX = '/v2';

/**
 * Whether a request is the Open Inference Protocol's, decided once for every
 * place that answers differently for it (body parsers, error bodies): by its
 * route when it has one, else by its path, so an unrouted or refused `/v2`
 * request still gets the protocol's `{"error": ...}` body.
 */
export function isOpenInferenceRequest(request: FastifyRequest): boolean {
  const path = (request.routeOptions.url ?? request.url).split('?', 1)[0];
  return path === OPEN_INFERENCE_PREFIX || path.startsWith(`${OPEN_INFERENCE_PREFIX}/`);
}
