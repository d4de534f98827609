import type { FastifyRequest } from 'fastify';
import type { Authenticator } from './authenticator';
import type { Caller } from './caller';
import { API_KEY_HEADER, type PresentedCredentials } from './credentials';

/** The credentials a REST request presents: its Authorization and X-API-Key headers. */
export function presentedBy(request: FastifyRequest): PresentedCredentials {
  const apiKey = request.headers[API_KEY_HEADER];
  return { authorization: request.headers.authorization, apiKey: Array.isArray(apiKey) ? apiKey[0] : apiKey };
}

const authentications = new WeakMap<FastifyRequest, Promise<Caller>>();

/**
 * The caller of a REST request, authenticated once however many ask: the rate limit (which runs
 * first, to count per caller) and the guard of the route share one verification.
 */
export function authenticationOf(auth: Authenticator, request: FastifyRequest): Promise<Caller> {
  let pending = authentications.get(request);
  if (pending === undefined) {
    pending = auth.authenticate(presentedBy(request));
    // Whoever asked first may only have wanted a rate-limit key; the refusal is answered by the guard.
    pending.catch(() => undefined);
    authentications.set(request, pending);
  }
  return pending;
}

/**
 * The rate limit's key with PREDICT_AUTH on: the verified caller (`key:<id>` or `jwt:<sub>`), so
 * callers behind one address (a NAT, a partner's gateway) each get RATE_LIMIT_MAX; a request with
 * no credential or a refused one counts against its IP address, as with PREDICT_AUTH off, so
 * made-up credentials cannot escape the limit.
 */
export function rateLimitKeyOf(auth: Authenticator): ((request: FastifyRequest) => Promise<string>) | undefined {
  if (!auth.enabled) return undefined;
  return async (request) => {
    const presented = presentedBy(request);
    if (presented.authorization === undefined && presented.apiKey === undefined) return request.ip;
    try {
      const caller = await authenticationOf(auth, request);
      return `${caller.via}:${caller.id}`;
    } catch {
      return request.ip;
    }
  };
}
