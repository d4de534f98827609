import cluster from 'node:cluster';
import { IpcPeer } from './ipc-peer';

/** The environment variable that tells an HTTP process forked by the primary which one it is (1-based). */
export const SERVER_PROCESS_INDEX_ENV = 'SERVER_PROCESS_INDEX';

/** Requests an HTTP process sends to the primary. */
export const TO_PRIMARY = {
  /** All processes' metrics, merged: what GET /metrics answers. */
  scrape: 'scrape',
  /** Apply an admin action in every other HTTP process; answers their outcomes. */
  admin: 'admin',
  /** Count one request against the pod-wide rate limit of a client. */
  rateLimit: 'rate-limit',
  /** Liveness and readiness of every other HTTP process: a probe answers for the whole pod. */
  health: 'health',
  /** Every other HTTP process's drift window of one model version: GET /v1/models/{name}/drift answers for the pod. */
  drift: 'drift',
  /** Every other HTTP process's shadow figures of one model: GET /v1/models/{name}/shadow answers for the pod. */
  shadow: 'shadow',
} as const;

/** Requests the primary sends to an HTTP process. */
export const TO_HTTP_PROCESS = {
  /** This process's metrics as prom-client JSON, for the primary to merge. */
  metrics: 'metrics',
  /** Apply an admin action that another HTTP process has applied already. */
  admin: 'admin',
  /** Drain and exit, as on SIGTERM. */
  shutdown: 'shutdown',
  /** This process's own liveness and readiness. */
  health: 'health',
  /** The other processes' liveness and readiness, as the primary last asked them (every HEALTH_SHARE_MS). */
  siblingsHealth: 'siblings-health',
  /** This process's drift window counts of one model version. */
  drift: 'drift',
  /** This process's shadow figures of one model. */
  shadow: 'shadow',
} as const;

/**
 * How often the primary asks every HTTP process its health and tells each one the others': a probe
 * then answers for the whole pod from what its own process already knows, without waiting on the
 * others' event loops, which under full load each hold for a batch at a time.
 */
export const HEALTH_SHARE_MS = 500;

/** Why a process must be restarted / must not get traffic; undefined when it is live / ready. */
export interface ProcessHealth {
  notLive?: string;
  notReady?: string;
}

/**
 * Which server process this is, and the line to the primary when the pod runs
 * several HTTP processes (HTTP_PROCESSES > 1). With one process (the tests'
 * in-process apps, HTTP_PROCESSES=1) there is no primary and every action is
 * local.
 */
export class ServerProcess {
  private constructor(
    /** 1-based; "1" alone when the pod runs one process. */
    readonly index: number,
    /** Undefined when this process is the whole server. */
    readonly primary: IpcPeer | undefined,
  ) {}

  static standalone(): ServerProcess {
    return new ServerProcess(1, undefined);
  }

  /** This process as the cluster primary's forked HTTP process, or standalone when it is not one. */
  static current(): ServerProcess {
    if (!cluster.isWorker) return ServerProcess.standalone();
    const index = Number(process.env[SERVER_PROCESS_INDEX_ENV] ?? cluster.worker?.id ?? 1);
    return ServerProcess.underPrimary(index, new IpcPeer(process as never, 'the primary process'));
  }

  static underPrimary(index: number, primary: IpcPeer): ServerProcess {
    return new ServerProcess(index, primary);
  }

  get clustered(): boolean {
    return this.primary !== undefined;
  }
}
