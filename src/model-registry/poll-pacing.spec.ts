import { describe, expect, it } from 'vitest';
import { PACED_PASS_MS, PollPacing, POLL_TIME_SHARE } from './poll-pacing';

describe('PollPacing: how often the model repository is read', () => {
  it('polls every interval while a pass is quick', () => {
    const pacing = new PollPacing(2000);
    expect(pacing.due(0)).toBe(true);
    expect(pacing.passed(0, PACED_PASS_MS - 1)).toBe(false);
    expect(pacing.due(1999)).toBe(false);
    expect(pacing.due(2000)).toBe(true);
    expect(pacing.effectiveIntervalMs).toBe(2000);
  });

  it('spaces passes so that they take at most their share of the time, and comes back when they are quick again', () => {
    const pacing = new PollPacing(2000);
    const slowPass = 150;
    expect(pacing.passed(0, slowPass)).toBe(true);
    const spaced = slowPass / POLL_TIME_SHARE;
    expect(pacing.effectiveIntervalMs).toBe(spaced);
    expect(pacing.due(spaced - 1)).toBe(false);
    expect(pacing.due(spaced)).toBe(true);
    // A pass about as slow does not count as a change worth telling.
    expect(pacing.passed(spaced, spaced + slowPass + 5)).toBe(false);
    expect(pacing.passed(2 * spaced, 2 * spaced + 5)).toBe(true);
    expect(pacing.effectiveIntervalMs).toBe(2000);
    expect(pacing.due(2 * spaced + 2000)).toBe(true);
  });
});
