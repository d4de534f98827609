import { isIP } from 'node:net';

/**
 * The proxies whose X-Forwarded-For and X-Forwarded-Proto are believed (TRUST_PROXY): only addresses and
 * ranges, checked against the connection's own peer. `true` (trust every peer) and hop counts are refused:
 * either lets any client that reaches the pod directly claim it came over TLS, or from another address.
 */

/** proxy-addr's (and so Fastify's) names for whole ranges: 127.0.0.0/8 and ::1; 169.254.0.0/16 and fe80::/10; 10/8, 172.16/12, 192.168/16 and fc00::/7. */
const NAMED_RANGES: ReadonlySet<string> = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** TRUST_PROXY as the list Fastify's `trustProxy` takes; empty when no proxy is trusted. Throws naming the first bad entry. */
export function parseTrustedProxies(value: string): string[] {
  if (value.trim() === '') return [];
  return value.split(',').map((raw) => {
    const entry = raw.trim();
    const problem = entryProblem(entry);
    if (problem) throw new Error(`entry "${entry}" ${problem}`);
    return entry;
  });
}

function entryProblem(entry: string): string | undefined {
  if (NAMED_RANGES.has(entry)) return undefined;
  const [address, prefix, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || address.includes('%') || rest.length > 0) {
    return 'is not an IP address, a CIDR range (10.0.0.0/8, fd00::/8) or one of loopback, linklocal, uniquelocal';
  }
  if (prefix === undefined) return undefined;
  const bits = family === 4 ? 32 : 128;
  if (!/^\d{1,3}$/.test(prefix) || Number(prefix) > bits) return `has a prefix length that is not 0 to ${bits}`;
  return undefined;
}
