import { describe, expect, it } from 'vitest';
import { PASS_MS_PER_VERSION, PollPacing, POLL_TIME_SHARE } from './poll-pacing';

describe('PollPacing: how often the model repository is read', () => {
  it('polls every interval while the repository is small, however slow the machine', () => {
    const pacing = new PollPacing(2000);
    expect(pacing.due(0)).toBe(true);
    expect(pacing.passed(0, 200)).toBe(false);
    expect(pacing.due(1999)).toBe(false);
    expect(pacing.due(2000)).toBe(true);
    expect(pacing.effectiveIntervalMs).toBe(2000);
  });

  it('spaces passes over a large repository to their share of the time, and comes back when it shrinks', () => {
    const pacing = new PollPacing(2000);
    expect(pacing.passed(0, 1000)).toBe(true);
    const spaced = (1000 * PASS_MS_PER_VERSION) / POLL_TIME_SHARE;
    expect(spaced).toBe(7500);
    expect(pacing.effectiveIntervalMs).toBe(spaced);
    expect(pacing.due(spaced - 1)).toBe(false);
    expect(pacing.due(spaced)).toBe(true);
    // A few versions more is not a change worth telling.
    expect(pacing.passed(spaced, 1050)).toBe(false);
    expect(pacing.passed(2 * spaced, 10)).toBe(true);
    expect(pacing.effectiveIntervalMs).toBe(2000);
    expect(pacing.due(2 * spaced + 2000)).toBe(true);
  });
});
