import { describe, expect, it } from 'vitest';
import { Caller } from './caller';
import { VerifiedTokens } from './jwt-verifier';

const caller = new Caller('team-a', 'jwt', ['iris']);
const NOW = 1_800_000_000_000;

describe('VerifiedTokens', () => {
  it('answers a token verified against the keys in force until it expires', () => {
    const tokens = new VerifiedTokens();
    tokens.add('t', caller, NOW + 30_000, 1, NOW);
    expect(tokens.find('t', 1, NOW + 29_999)).toBe(caller);
    expect(tokens.find('t', 1, NOW + 30_000)).toBeUndefined();
    expect(tokens.find('other', 1, NOW)).toBeUndefined();
  });

  it('trusts a verification for a minute at most, however long the token lives', () => {
    const tokens = new VerifiedTokens();
    tokens.add('t', caller, NOW + 3_600_000, 1, NOW);
    expect(tokens.find('t', 1, NOW + 59_999)).toBe(caller);
    expect(tokens.find('t', 1, NOW + 60_000)).toBeUndefined();
  });

  it('forgets what was verified against keys no longer in force (a rotation of the JWKS)', () => {
    const tokens = new VerifiedTokens();
    tokens.add('t', caller, NOW + 30_000, 1, NOW);
    expect(tokens.find('t', 2, NOW)).toBeUndefined();
    expect(tokens.find('t', 1, NOW)).toBeUndefined();
  });

  it('never keeps an expired token, and stays bounded by forgetting the oldest', () => {
    const tokens = new VerifiedTokens();
    tokens.add('old', caller, NOW - 1, 1, NOW);
    expect(tokens.size).toBe(0);
    for (let i = 0; i < 10_001; i++) tokens.add(`t${i}`, caller, NOW + 30_000, 1, NOW);
    expect(tokens.size).toBe(10_000);
    expect(tokens.find('t0', 1, NOW)).toBeUndefined();
    expect(tokens.find('t10000', 1, NOW)).toBe(caller);
  });
});
