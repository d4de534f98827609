/**
 * The most of its time a process spends reading the model repository between requests. A thousand
 * models polled every 2 s took about a tenth of a pod's two cores (bench/many-models.mjs): the stat
 * calls run in libuv's threads and take CPU from the requests.
 */
export const POLL_TIME_SHARE = 0.02;

/** Passes quicker than this never space polls out: a small repository on a busy machine keeps its interval. */
export const PACED_PASS_MS = 50;

/**
 * Spaces the passes over the model repository: every MODEL_POLL_INTERVAL_MS, unless a pass takes
 * longer than POLL_TIME_SHARE of that, as a large repository or a slow store does; then the next one
 * waits until the last one's time is that share of the time since it started. New and changed
 * versions are then noticed later, by as much as the store is slow.
 */
export class PollPacing {
  private notBefore = 0;
  /** The spacing of passes as last told (passed() returned true), in ms: more than the configured interval while passes are slow. */
  effectiveIntervalMs: number;

  constructor(
    private readonly intervalMs: number,
    private readonly share = POLL_TIME_SHARE,
  ) {
    this.effectiveIntervalMs = intervalMs;
  }

  /** Whether a pass may start now. */
  due(now: number): boolean {
    return now >= this.notBefore;
  }

  /** A pass that started at `startedAt` and ended at `endedAt` (ms): spaces the next. Returns whether the spacing changed. */
  passed(startedAt: number, endedAt: number): boolean {
    const took = endedAt - startedAt;
    const interval = took < PACED_PASS_MS ? this.intervalMs : Math.max(this.intervalMs, Math.round(took / this.share));
    this.notBefore = startedAt + interval;
    // Told when passes start or stop being spaced out, or the spacing doubles or halves: not on every wobble.
    const last = this.effectiveIntervalMs;
    const changed = (interval === this.intervalMs) !== (last === this.intervalMs) || interval >= 2 * last || 2 * interval <= last;
    if (changed) this.effectiveIntervalMs = interval;
    return changed;
  }
}
