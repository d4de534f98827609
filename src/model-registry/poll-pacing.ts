/**
 * The most of its time a process spends reading the model repository. A thousand models polled every
 * 2 s took about a tenth of a pod's two cores (bench/many-models.mjs): the stat and readdir calls run in
 * libuv's threads and take CPU from the requests.
 */
export const POLL_TIME_SHARE = 0.02;

/**
 * What a pass costs per version listed, in ms: 120-150 ms for 1,000 one-version models on local disk
 * (Node 20, 2 vCPUs). Counted from the size of the repository, not timed: a pass timed under load
 * measures the requests it waited behind, and spacing passes then would delay a hot swap.
 */
export const PASS_MS_PER_VERSION = 0.15;

/**
 * Spaces the passes over the model repository: every MODEL_POLL_INTERVAL_MS, unless the repository is
 * large enough that passes that often would take more than POLL_TIME_SHARE of the time (above about
 * 270 versions at the default 2 s); then at PASS_MS_PER_VERSION / POLL_TIME_SHARE per version (1,000
 * versions: every 7.5 s), and new versions are noticed that much later.
 */
export class PollPacing {
  private notBefore = 0;
  /** The spacing of passes as last told (passed() returned true), in ms. */
  effectiveIntervalMs: number;

  constructor(private readonly intervalMs: number) {
    this.effectiveIntervalMs = intervalMs;
  }

  /** Whether a pass may start now. */
  due(now: number): boolean {
    return now >= this.notBefore;
  }

  /** A pass over `versions` versions started at `startedAt` (ms): spaces the next. Returns whether the spacing changed. */
  passed(startedAt: number, versions: number): boolean {
    const interval = Math.max(this.intervalMs, Math.round((versions * PASS_MS_PER_VERSION) / POLL_TIME_SHARE));
    this.notBefore = startedAt + interval;
    // Told when passes start or stop being spaced out, or the spacing doubles or halves: not on every version added.
    const last = this.effectiveIntervalMs;
    const changed = (interval === this.intervalMs) !== (last === this.intervalMs) || interval >= 2 * last || 2 * interval <= last;
    if (changed) this.effectiveIntervalMs = interval;
    return changed;
  }
}
