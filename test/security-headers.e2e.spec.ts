import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { describe, expect, it } from 'vitest';
import { useTestApp, withTestApp } from './support/test-app';

const YEAR = '31536000';
/** The pages a browser opens and an API answer: the headers are the same on every route. */
const ROUTES = ['/ui', '/docs', '/v1/models'];

/** What a browser would do with the answer: follow HSTS, and upgrade the page's http:// requests. */
async function transportPolicy(app: NestFastifyApplication, url: string, remoteAddress: string, headers: Record<string, string> = {}) {
  const response = await app.inject({ method: 'GET', url, remoteAddress, headers });
  expect(response.statusCode, url).toBe(200);
  const csp = String(response.headers['content-security-policy']);
  expect(csp, url).toContain("script-src 'self'");
  return { hsts: response.headers['strict-transport-security'], upgrades: csp.split(';').includes('upgrade-insecure-requests') };
}

describe('security headers over plain HTTP, with the defaults', () => {
  const server = useTestApp({ models: ['iris'] });

  it('send neither HSTS nor upgrade-insecure-requests, so pages opened under any hostname keep their http:// scripts', async () => {
    for (const url of ROUTES) {
      expect(await transportPolicy(server.app, url, '10.0.0.1'), url).toEqual({ hsts: undefined, upgrades: false });
    }
  });

  it('ignore X-Forwarded-Proto: no proxy is trusted until TRUST_PROXY names it', async () => {
    expect(await transportPolicy(server.app, '/ui', '10.0.0.1', { 'x-forwarded-proto': 'https' })).toEqual({ hsts: undefined, upgrades: false });
  });
});

describe('security headers behind a TLS-terminating proxy (TRUST_PROXY, HSTS_MAX_AGE)', () => {
  const server = useTestApp({ models: ['iris'], env: { TRUST_PROXY: '10.0.0.0/8', HSTS_MAX_AGE: YEAR } });

  it('send HSTS and upgrade-insecure-requests on requests the trusted proxy received over TLS', async () => {
    for (const url of ROUTES) {
      expect(await transportPolicy(server.app, url, '10.1.2.3', { 'x-forwarded-proto': 'https' }), url).toEqual({ hsts: `max-age=${YEAR}`, upgrades: true });
    }
  });

  it('send neither on requests the trusted proxy received over plain HTTP', async () => {
    expect(await transportPolicy(server.app, '/ui', '10.1.2.3', { 'x-forwarded-proto': 'http' })).toEqual({ hsts: undefined, upgrades: false });
    expect(await transportPolicy(server.app, '/ui', '10.1.2.3')).toEqual({ hsts: undefined, upgrades: false });
  });

  it('send neither when a peer outside TRUST_PROXY claims X-Forwarded-Proto: https', async () => {
    for (const peer of ['192.0.2.10', '127.0.0.1', '11.0.0.1']) {
      expect(await transportPolicy(server.app, '/ui', peer, { 'x-forwarded-proto': 'https' }), peer).toEqual({ hsts: undefined, upgrades: false });
    }
  });
});

describe('HSTS_MAX_AGE left at 0 behind a trusted proxy', () => {
  it('upgrades insecure requests on TLS requests but sends no HSTS', async () => {
    await withTestApp({ models: ['iris'], env: { TRUST_PROXY: '10.0.0.0/8' } }, async ({ app }) => {
      expect(await transportPolicy(app, '/ui', '10.1.2.3', { 'x-forwarded-proto': 'https' })).toEqual({ hsts: undefined, upgrades: true });
    });
  });
});

describe('rate limits behind a trusted proxy', () => {
  const server = useTestApp({ models: ['iris'], env: { TRUST_PROXY: '10.0.0.0/8', RATE_LIMIT_MAX: '2' } });
  const get = (remoteAddress: string, forwardedFor: string) =>
    server.app.inject({ method: 'GET', url: '/v1/models', remoteAddress, headers: { 'x-forwarded-for': forwardedFor } });

  it('count each client the proxy forwards for, and a peer outside TRUST_PROXY by its own address whatever it claims', async () => {
    const forwarded = [];
    for (const client of ['203.0.113.1', '203.0.113.1', '203.0.113.2', '203.0.113.3', '203.0.113.1']) forwarded.push((await get('10.1.2.3', client)).statusCode);
    expect(forwarded).toEqual([200, 200, 200, 200, 429]);
    const direct = [];
    for (const claimed of ['198.51.100.1', '198.51.100.2', '198.51.100.3']) direct.push((await get('192.0.2.20', claimed)).statusCode);
    expect(direct).toEqual([200, 200, 429]);
  });
});
