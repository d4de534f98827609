import cluster, { type Worker } from 'node:cluster';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { AppConfig } from '../config/app-config';
import { IpcPeer } from './ipc-peer';
import { ScrapeMerger } from './scrape-merger';
import { HEALTH_SHARE_MS, type ProcessHealth, SERVER_PROCESS_INDEX_ENV, TO_HTTP_PROCESS, TO_PRIMARY } from './server-process';

// @fastify/rate-limit's own in-memory store, kept here so that every HTTP process counts against one
// limit per client (it ships no type declarations for this file).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const LocalStore = require('@fastify/rate-limit/store/LocalStore') as new (
  continueExceeding: boolean,
  exponentialBackoff: boolean,
  cache: number,
) => RateLimitStore;

interface RateLimitStore {
  incr(key: string, callback: (error: Error | null, state: RateLimitState) => void, timeWindow: number, max: number): void;
}

export interface RateLimitState {
  current: number;
  ttl: number;
}

export interface RateLimitQuestion {
  key: string;
  timeWindow: number;
  max: number;
}

/** What one other HTTP process answered to an admin action it was asked to apply. */
export interface SiblingOutcome {
  process: number;
  error?: { code?: string; message: string };
}

/** A probe waits this long for the other processes' health; no answer counts as not live and not ready. */
const HEALTH_TIMEOUT_MS = 2_000;
/** A scrape waits this long for each process's metrics before it fails (Prometheus's own default timeout is 10 s). */
const SCRAPE_TIMEOUT_MS = 5_000;
/** Admin actions may load models: bounded, but generously. */
const ADMIN_TIMEOUT_MS = 300_000;
/** A question about another process's state (drift windows, shadow figures) waits this long for each answer. */
const SIBLING_QUESTION_TIMEOUT_MS = 2_000;
/** As many clients as @fastify/rate-limit's own store remembers by default. */
const RATE_LIMIT_CLIENTS = 5_000;

/**
 * How INFERENCE_WORKERS (a pod-wide number) is shared among the HTTP
 * processes: as evenly as possible, and at least one each when it is not 0,
 * so no process runs a model's inference on its event loop because another
 * got the workers.
 */
export function inferenceWorkersPerProcess(total: number, processes: number): number[] {
  if (total === 0) return Array.from({ length: processes }, () => 0);
  return Array.from({ length: processes }, (_, i) => Math.max(1, Math.floor(total / processes) + (i < total % processes ? 1 : 0)));
}

interface Member {
  index: number;
  worker: Worker;
  peer: IpcPeer;
}

/**
 * Asks every sibling the same question and answers their replies in process order; fails, naming the
 * process, as soon as one does not answer (a partial answer would look like the whole pod's).
 */
export function askSiblings<T>(
  siblings: readonly { index: number; peer: IpcPeer }[],
  kind: string,
  question: unknown,
  timeoutMs = SIBLING_QUESTION_TIMEOUT_MS,
): Promise<T[]> {
  return Promise.all(
    siblings.map(({ index, peer }) =>
      peer.request<T>(kind, question, timeoutMs).catch((error: unknown) => {
        throw new Error(`HTTP process ${index}: ${(error as Error).message}`);
      }),
    ),
  );
}

/** Asks every sibling to apply an admin action; each answers an outcome, none rejects. */
export function relayAdminAction(siblings: readonly { index: number; peer: IpcPeer }[], action: unknown): Promise<SiblingOutcome[]> {
  return Promise.all(
    siblings.map(async ({ index, peer }): Promise<SiblingOutcome> => {
      try {
        const error = await peer.request<SiblingOutcome['error']>(TO_HTTP_PROCESS.admin, action, ADMIN_TIMEOUT_MS);
        return error ? { process: index, error } : { process: index };
      } catch (failure) {
        return { process: index, error: { message: (failure as Error).message } };
      }
    }),
  );
}

/**
 * The primary of a pod running HTTP_PROCESSES > 1: it serves no HTTP itself.
 * It forks the HTTP processes (which share the listening port through Node's
 * cluster module and each load the models), merges their metrics for
 * whichever of them is scraped, relays admin actions so that every process
 * serves the same versions and config, keeps the one rate-limit count per
 * client, and turns SIGTERM into a graceful drain of every process. A process
 * that dies takes the pod down (exit 1), as a crash of a single-process
 * server would: Kubernetes restarts it whole, with consistent state.
 */
export class Primary {
  private readonly members = new Map<number, Member>();
  private readonly scrapeMerger = new ScrapeMerger();
  private readonly rateLimits = new LocalStore(false, false, RATE_LIMIT_CLIENTS);
  private stopping = false;
  private sharingHealth = false;
  private exitCode = 0;

  constructor(
    private readonly config: AppConfig,
    private readonly logger: Logger,
    /** The primary's own series (observability/metrics/process-series.ts), merged into every scrape. */
    private readonly ownMetrics: Registry,
    private readonly exit: (code: number) => void = (code) => process.exit(code),
  ) {}

  start(): void {
    const shares = inferenceWorkersPerProcess(this.config.INFERENCE_WORKERS, this.config.HTTP_PROCESSES);
    this.logger.info(
      { http_processes: this.config.HTTP_PROCESSES, inference_workers_per_process: shares },
      `starting ${this.config.HTTP_PROCESSES} HTTP processes`,
    );
    shares.forEach((share, i) => this.fork(i + 1, share));
    setInterval(() => void this.shareHealth(), HEALTH_SHARE_MS).unref();
    process.on('SIGTERM', (signal) => this.shutDown(signal));
    process.on('SIGINT', (signal) => this.shutDown(signal));
  }

  private fork(index: number, inferenceWorkers: number): void {
    const worker = cluster.fork({ [SERVER_PROCESS_INDEX_ENV]: String(index), INFERENCE_WORKERS: String(inferenceWorkers) });
    const peer = new IpcPeer(worker, `HTTP process ${index}`);
    const member = { index, worker, peer };
    this.members.set(index, member);
    peer.handle(TO_PRIMARY.scrape, () => this.scrape());
    peer.handle(TO_PRIMARY.admin, (action) => this.relayAdmin(member, action));
    peer.handle(TO_PRIMARY.rateLimit, (question) => this.countRequest(question as RateLimitQuestion));
    peer.handle(TO_PRIMARY.health, () => this.healthOfSiblings(member));
    peer.handle(TO_PRIMARY.drift, (question) => askSiblings(this.siblingsOf(member), TO_HTTP_PROCESS.drift, question));
    peer.handle(TO_PRIMARY.shadow, (question) => askSiblings(this.siblingsOf(member), TO_HTTP_PROCESS.shadow, question));
    worker.on('exit', (code, signal) => this.onExit(member, code, signal));
  }

  /**
   * Every process's series merged by prom-client's aggregator (counters and histograms summed, gauges by
   * their own rule), in a thread of the primary: see ScrapeMerger.
   */
  private async scrape(): Promise<string> {
    const perProcess = await Promise.all(
      [...this.members.values()].map((member) => member.peer.request<string>(TO_HTTP_PROCESS.metrics, undefined, SCRAPE_TIMEOUT_MS)),
    );
    perProcess.push(JSON.stringify(await this.ownMetrics.getMetricsAsJSON()));
    return this.scrapeMerger.merge(perProcess);
  }

  private siblingsOf(member: Member): Member[] {
    return [...this.members.values()].filter((other) => other !== member);
  }

  private relayAdmin(from: Member, action: unknown): Promise<SiblingOutcome[]> {
    return relayAdminAction(
      [...this.members.values()].filter((member) => member !== from),
      action,
    );
  }

  /** The first reason any other process gives, naming it: one unhealthy process makes the pod unhealthy. */
  private async healthOfSiblings(from: Member): Promise<ProcessHealth> {
    return firstReasons(await Promise.all(this.siblingsOf(from).map(healthOf)));
  }

  /**
   * Asks every process its health and tells each one the others' (HEALTH_SHARE_MS): probes are then
   * answered from that, and ask through the primary only when it is stale (a round waits for a process
   * that does not answer, up to HEALTH_TIMEOUT_MS, and that process is then named as not answering).
   */
  private async shareHealth(): Promise<void> {
    // Once stopping, the HTTP processes are exiting: asking them would only write to closing channels.
    if (this.sharingHealth || this.stopping) return;
    this.sharingHealth = true;
    try {
      const members = [...this.members.values()];
      const answers = await Promise.all(members.map(healthOf));
      members.forEach((member, i) => {
        const others = firstReasons(answers.filter((_, j) => j !== i));
        member.peer.request(TO_HTTP_PROCESS.siblingsHealth, others, HEALTH_TIMEOUT_MS).catch(() => undefined);
      });
    } finally {
      this.sharingHealth = false;
    }
  }

  private countRequest({ key, timeWindow, max }: RateLimitQuestion): Promise<RateLimitState> {
    return new Promise((resolve, reject) =>
      this.rateLimits.incr(key, (error, state) => (error ? reject(error) : resolve({ current: state.current, ttl: state.ttl })), timeWindow, max),
    );
  }

  /** First signal: every process drains as a single server would. A second one is passed on: they exit at once. */
  private shutDown(signal: NodeJS.Signals): void {
    if (!this.stopping) {
      this.stopping = true;
      this.logger.info({ signal }, 'shutting down: every HTTP process drains');
      // Each process has its own grace timer; this one only catches a process that ignores it.
      const backstopMs = this.config.SHUTDOWN_DELAY_MS + this.config.SHUTDOWN_GRACE_MS + 5_000;
      setTimeout(() => this.killRemaining(), backstopMs).unref();
    }
    for (const member of this.members.values()) {
      member.peer.request(TO_HTTP_PROCESS.shutdown, signal, 1_000).catch(() => undefined);
    }
  }

  private killRemaining(): void {
    for (const member of this.members.values()) {
      this.logger.error({ http_process: member.index }, 'HTTP process still running after its grace period: killing it');
      member.worker.process.kill('SIGKILL');
    }
  }

  private onExit(member: Member, code: number | null, signal: string | null): void {
    this.members.delete(member.index);
    member.peer.fail(`HTTP process ${member.index} exited`);
    if (code !== 0) this.exitCode = 1;
    if (!this.stopping) {
      this.logger.error(
        { http_process: member.index, code, signal },
        `HTTP process ${member.index} exited unexpectedly: stopping the others so the pod restarts whole`,
      );
      this.exitCode = 1;
      this.shutDown('SIGTERM');
    }
    if (this.members.size === 0) {
      this.logger.info({ code: this.exitCode }, 'every HTTP process has exited');
      this.logger.flush();
      this.exit(this.exitCode);
    }
  }
}

/** One process's health, its reasons named after it; no answer within HEALTH_TIMEOUT_MS is a reason too. */
async function healthOf({ index, peer }: Member): Promise<ProcessHealth> {
  const named = (reason: string | undefined) => (reason === undefined ? undefined : `HTTP process ${index}: ${reason}`);
  try {
    const health = await peer.request<ProcessHealth>(TO_HTTP_PROCESS.health, undefined, HEALTH_TIMEOUT_MS);
    return { notLive: named(health.notLive), notReady: named(health.notReady) };
  } catch (error) {
    return { notLive: named((error as Error).message), notReady: named((error as Error).message) };
  }
}

function firstReasons(answers: readonly ProcessHealth[]): ProcessHealth {
  return {
    notLive: answers.find((answer) => answer.notLive)?.notLive,
    notReady: answers.find((answer) => answer.notReady)?.notReady,
  };
}
