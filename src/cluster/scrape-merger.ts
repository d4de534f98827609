import { Worker as Thread } from 'node:worker_threads';
import { compiledScript } from '../common/runtime/compiled-script';

/** How long the merging thread stays once scrapes stop: its heap, the whole point of it, goes with it. */
const IDLE_MS = 5_000;

export interface MergeRequest {
  id: number;
  /** Every process's series: prom-client's getMetricsAsJSON(), as JSON text. */
  perProcess: readonly string[];
}

export interface MergeReply {
  id: number;
  text?: string;
  failure?: string;
}

interface Waiting {
  resolve: (text: string) => void;
  reject: (error: Error) => void;
}

/**
 * Merges the pod's scrapes in a thread of the primary (scrape-merge-thread.ts). One thread serves scrapes
 * that come close together, so a burst of them (clients asking /metrics in a loop) does not start a thread
 * each; it is stopped IDLE_MS after the last, which gives its heap back.
 */
export class ScrapeMerger {
  private thread: Thread | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private nextId = 1;
  private readonly waiting = new Map<number, Waiting>();
  /** Threads started so far. */
  threadsStarted = 0;

  constructor(private readonly idleMs = IDLE_MS) {}

  merge(perProcess: readonly string[]): Promise<string> {
    clearTimeout(this.idleTimer);
    const thread = (this.thread ??= this.start());
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      thread.postMessage({ id, perProcess } satisfies MergeRequest);
    });
  }

  private start(): Thread {
    const thread = new Thread(compiledScript(__dirname, 'scrape-merge-thread.js', 'cluster/scrape-merge-thread.js'), { name: 'scrape-merge' });
    this.threadsStarted++;
    // The primary's exit is not held up by a thread that has nothing to do.
    thread.unref();
    thread.on('message', ({ id, text, failure }: MergeReply) => {
      const waiting = this.waiting.get(id);
      this.waiting.delete(id);
      if (failure !== undefined || text === undefined) waiting?.reject(new Error(`the scrape could not be merged: ${failure}`));
      else waiting?.resolve(text);
      if (this.waiting.size === 0) this.idleTimer = setTimeout(() => this.retire(thread), this.idleMs).unref();
    });
    thread.on('error', (error) => this.failAll(thread, `the thread merging scrapes failed: ${error.message}`));
    thread.on('exit', (code) => this.failAll(thread, `the thread merging scrapes exited (code ${code})`));
    return thread;
  }

  /** Forgotten first: a scrape arriving while it exits starts a new thread rather than writing to this one. */
  private retire(thread: Thread): void {
    if (this.thread === thread) this.thread = undefined;
    void thread.terminate();
  }

  private failAll(thread: Thread, reason: string): void {
    if (this.thread !== thread) return;
    this.thread = undefined;
    clearTimeout(this.idleTimer);
    for (const waiting of this.waiting.values()) waiting.reject(new Error(reason));
    this.waiting.clear();
  }
}
