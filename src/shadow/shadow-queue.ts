/**
 * Where the shadow work of every model of an HTTP process takes its turn: one item at a time, in the
 * order they come, so that shadows, however many models have one, never use more than one inference
 * (one worker thread, or the event loop for a model run inline) of the process at once.
 */
export class ShadowLane {
  private tail: Promise<unknown> = Promise.resolve();

  run(work: () => Promise<void>): Promise<void> {
    const turn = this.tail.then(work);
    this.tail = turn.catch(() => undefined);
    return turn;
  }
}

/**
 * A model's own queue of shadow work: bounded (an offer to a full queue is refused at once, for the
 * caller to count as dropped) and run one item at a time in the process's ShadowLane, so that a
 * model's shadow never holds more than one request's work in the shadow version's batcher, whatever
 * the client traffic. Nothing here waits for anything a client waits for: an offer is an array push,
 * and the work starts on a later turn of the event loop (setImmediate), after the I/O already due.
 */
export class ShadowQueue<T> {
  private readonly items: T[] = [];
  private running = false;
  private scheduled = false;
  private stopped = false;
  private readonly idleWaiters: (() => void)[] = [];

  constructor(
    /** Items that may wait (the one running aside). */
    public capacity: number,
    /** Runs one item; it must not throw (a rejection is ignored, so one bad item cannot stop the queue). */
    private readonly work: (item: T) => Promise<void>,
    private readonly lane = new ShadowLane(),
  ) {}

  /** False when the queue is full or stopped: the item is not taken. */
  offer(item: T): boolean {
    if (this.stopped || this.items.length >= this.capacity) return false;
    this.items.push(item);
    this.schedule();
    return true;
  }

  /** Waiting and running items. */
  get size(): number {
    return this.items.length + (this.running ? 1 : 0);
  }

  /** Resolves once nothing waits and nothing runs. */
  idle(): Promise<void> {
    if (this.size === 0 && !this.scheduled) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Takes nothing more and forgets what waits (shutting down); the item running finishes. Answers how many were forgotten. */
  stop(): number {
    this.stopped = true;
    const forgotten = this.items.length;
    this.items.length = 0;
    if (!this.running) this.settle();
    return forgotten;
  }

  private schedule(): void {
    if (this.running || this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.drain();
    });
  }

  private async drain(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      let item: T | undefined;
      while ((item = this.items.shift()) !== undefined) {
        const next = item;
        await this.lane.run(() => this.work(next)).catch(() => undefined);
        // One item per turn of the event loop at most: what clients sent meanwhile goes first.
        if (this.items.length > 0) await new Promise<void>((resolve) => setImmediate(resolve));
      }
    } finally {
      this.running = false;
      this.settle();
    }
  }

  private settle(): void {
    if (this.size > 0 || this.scheduled) return;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }
}
