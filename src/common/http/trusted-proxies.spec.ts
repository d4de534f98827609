import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { parseTrustedProxies } from './trusted-proxies';

describe('parseTrustedProxies', () => {
  it('trusts no proxy when empty', () => {
    expect(parseTrustedProxies('')).toEqual([]);
    expect(parseTrustedProxies('  ')).toEqual([]);
  });

  it('reads addresses, CIDR ranges and the named ranges, comma-separated', () => {
    const list = '10.0.0.0/8, 192.0.2.7,fd00::/8,::1,uniquelocal,loopback,linklocal,0.0.0.0/0';
    expect(parseTrustedProxies(list)).toEqual(['10.0.0.0/8', '192.0.2.7', 'fd00::/8', '::1', 'uniquelocal', 'loopback', 'linklocal', '0.0.0.0/0']);
  });

  it('gives Fastify a list it accepts', async () => {
    const app = Fastify({ trustProxy: parseTrustedProxies('10.0.0.0/8,fd00::/8,loopback,192.0.2.7') });
    app.get('/', (request) => ({ protocol: request.protocol, ip: request.ip }));
    const trusted = await app.inject({ url: '/', remoteAddress: '10.1.2.3', headers: { 'x-forwarded-proto': 'https', 'x-forwarded-for': '203.0.113.5' } });
    expect(trusted.json()).toEqual({ protocol: 'https', ip: '203.0.113.5' });
    const untrusted = await app.inject({ url: '/', remoteAddress: '198.51.100.1', headers: { 'x-forwarded-proto': 'https', 'x-forwarded-for': '203.0.113.5' } });
    expect(untrusted.json()).toEqual({ protocol: 'http', ip: '198.51.100.1' });
    await app.close();
  });

  it('refuses trusting every peer, hop counts and anything that is not an address or a range, naming the entry', () => {
    const notAnAddress = 'is not an IP address, a CIDR range (10.0.0.0/8, fd00::/8) or one of loopback, linklocal, uniquelocal';
    for (const entry of ['true', '*', '1', '2', 'proxy.local', '10.0.0', '10.0.0.0/8/8', 'fe80::1%eth0', '']) {
      expect(() => parseTrustedProxies(`10.0.0.1,${entry}`), entry).toThrow(`entry "${entry}" ${notAnAddress}`);
    }
    expect(() => parseTrustedProxies('10.0.0.0/33')).toThrow('entry "10.0.0.0/33" has a prefix length that is not 0 to 32');
    expect(() => parseTrustedProxies('fd00::/129')).toThrow('entry "fd00::/129" has a prefix length that is not 0 to 128');
    expect(() => parseTrustedProxies('10.0.0.0/')).toThrow('entry "10.0.0.0/" has a prefix length that is not 0 to 32');
  });
});
