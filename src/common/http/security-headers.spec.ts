import { describe, expect, it } from 'vitest';
import { securityHeaderSets } from './security-headers';

/** A Content-Security-Policy as directive name -> value. */
function directives(csp: string): Map<string, string> {
  return new Map(csp.split(';').map((directive) => {
    const [name, ...values] = directive.trim().split(/\s+/);
    return [name, values.join(' ')];
  }));
}

describe('securityHeaderSets', () => {
  it('sends neither upgrade-insecure-requests nor HSTS over plain HTTP, whatever HSTS_MAX_AGE says', () => {
    for (const hstsMaxAgeSeconds of [0, 31_536_000]) {
      const { plain } = securityHeaderSets({ hstsMaxAgeSeconds });
      expect(directives(plain['content-security-policy']).has('upgrade-insecure-requests')).toBe(false);
      expect(plain['strict-transport-security']).toBeUndefined();
    }
  });

  it('leaves out over plain HTTP what browsers honour only on trustworthy origins (COOP, Origin-Agent-Cluster)', () => {
    const { plain, tls } = securityHeaderSets({ hstsMaxAgeSeconds: 0 });
    expect(plain['cross-origin-opener-policy']).toBeUndefined();
    expect(plain['origin-agent-cluster']).toBeUndefined();
    expect(tls['cross-origin-opener-policy']).toBe('same-origin');
    expect(tls['origin-agent-cluster']).toBe('?1');
  });

  it('over TLS upgrades insecure requests, and sends HSTS only with a max-age configured, without includeSubDomains', () => {
    const off = securityHeaderSets({ hstsMaxAgeSeconds: 0 }).tls;
    expect(directives(off['content-security-policy']).has('upgrade-insecure-requests')).toBe(true);
    expect(off['strict-transport-security']).toBeUndefined();
    const on = securityHeaderSets({ hstsMaxAgeSeconds: 31_536_000 }).tls;
    expect(on['strict-transport-security']).toBe('max-age=31536000');
  });

  it('keeps the same policy for the pages in both sets: scripts and connections from this origin only', () => {
    const { plain, tls } = securityHeaderSets({ hstsMaxAgeSeconds: 0 });
    for (const headers of [plain, tls]) {
      const csp = directives(headers['content-security-policy']);
      expect(csp.get('default-src')).toBe("'self'");
      expect(csp.get('script-src')).toBe("'self'");
      expect(csp.get('connect-src')).toBe("'self'");
      expect(csp.get('img-src')).toBe("'self' data:");
      expect(csp.get('object-src')).toBe("'none'");
      expect(csp.get('frame-ancestors')).toBe("'self'");
      expect(headers['x-content-type-options']).toBe('nosniff');
      expect(headers['x-frame-options']).toBe('SAMEORIGIN');
      expect(headers['cross-origin-resource-policy']).toBe('same-origin');
    }
  });
});
