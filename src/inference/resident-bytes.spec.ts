import { describe, expect, it } from 'vitest';
import { residentBytesOf, sessionBytes } from './resident-bytes';

const DIGITS_FILE = 545_104;

describe('the memory estimate of a loaded model', () => {
  it('counts a session per worker thread, and one on the event loop', () => {
    const session = sessionBytes(DIGITS_FILE);
    // Measured on the service: 1.65-1.83 MB per copy of digits on the event loop.
    expect(session).toBeGreaterThan(1.6e6);
    expect(session).toBeLessThan(1.85e6);
    expect(residentBytesOf(DIGITS_FILE, { workerSessions: 0, eventLoopSession: true })).toBe(session);
    expect(residentBytesOf(DIGITS_FILE, { workerSessions: 2, eventLoopSession: false })).toBe(2 * session);
  });

  it('counts the released session a model timed in the workers leaves behind', () => {
    expect(residentBytesOf(1233, { workerSessions: 0, eventLoopSession: true, timedInWorkers: true })).toBe(2 * sessionBytes(1233));
  });

  it('grows with the file, from what a session of a tiny model costs', () => {
    expect(sessionBytes(0)).toBeGreaterThan(0);
    expect(sessionBytes(10_000_000)).toBeGreaterThan(10_000_000);
  });
});
