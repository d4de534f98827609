import type { IncomingMessage, ServerResponse } from 'node:http';
import helmet from 'helmet';

/**
 * The security headers of every response, in two sets computed once: one for requests that arrived over
 * TLS, one for plain HTTP. They depend only on the configuration and on that one fact (no CSP nonces), so
 * the per-request work is picking a set: @fastify/helmet rebuilt the middleware and reparsed the CSP on
 * every request, which showed as several percent of the predict path in profiles.
 *
 * Over plain HTTP a browser under any hostname but localhost (a cluster DNS name, a NodePort, an Ingress
 * without TLS) follows `upgrade-insecure-requests` to https:// on the same port, where nothing answers: the
 * playground and Swagger UI stayed blank. So that directive, and HSTS, go only with answers to requests
 * that came over TLS (this server's own socket, or a trusted proxy's X-Forwarded-Proto: https).
 */
export interface SecurityHeaderSets {
  readonly plain: Readonly<Record<string, string>>;
  readonly tls: Readonly<Record<string, string>>;
}

export interface SecurityHeaderOptions {
  /** Strict-Transport-Security max-age, in seconds, sent over TLS only; 0 sends no HSTS. */
  readonly hstsMaxAgeSeconds: number;
}

/**
 * Swagger UI's and the playground's scripts and styles are served from this origin, so helmet's default
 * Content-Security-Policy holds; only inline styles and data: images, which Swagger UI uses, are allowed.
 */
const DIRECTIVES = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'", "'unsafe-inline'"],
  imgSrc: ["'self'", 'data:'],
  connectSrc: ["'self'"],
};

export function securityHeaderSets(options: SecurityHeaderOptions): SecurityHeaderSets {
  const plain = helmet({
    contentSecurityPolicy: { directives: { ...DIRECTIVES, upgradeInsecureRequests: null } },
    strictTransportSecurity: false,
    // Browsers honour these two on potentially trustworthy origins only; elsewhere over plain HTTP Chromium
    // ignores them and logs an error (COOP) and a warning (Origin-Agent-Cluster) on every page load.
    crossOriginOpenerPolicy: false,
    originAgentCluster: false,
  });
  const tls = helmet({
    contentSecurityPolicy: { directives: DIRECTIVES },
    // Not includeSubDomains: the service does not own its parent domain's other hosts; an edge that
    // does (the Ingress holding the certificate) is where a domain-wide policy belongs.
    strictTransportSecurity: options.hstsMaxAgeSeconds > 0 ? { maxAge: options.hstsMaxAgeSeconds, includeSubDomains: false } : false,
  });
  return { plain: headersSetBy(plain), tls: headersSetBy(tls) };
}

/** The headers a helmet middleware sets, captured from one call on a stand-in response. */
function headersSetBy(middleware: ReturnType<typeof helmet>): Record<string, string> {
  const headers: Record<string, string> = {};
  const response = {
    setHeader: (name: string, value: string | number | readonly string[]) => {
      headers[name.toLowerCase()] = String(value);
    },
    removeHeader: () => undefined,
  };
  middleware({} as IncomingMessage, response as unknown as ServerResponse, () => undefined);
  return headers;
}
