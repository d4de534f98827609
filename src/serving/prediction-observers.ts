import { Injectable, Logger } from '@nestjs/common';
import type { TensorMap } from '../inference/tensors';
import type { RequestContext } from '../request-context/request-context';

/** One answered prediction request, as observers see it (inputs and outputs are the request's whole batch). */
export interface PredictionRecord {
  readonly model: string;
  readonly version: number;
  readonly protocol: 'http' | 'grpc';
  readonly requestId: string | undefined;
  /** The W3C trace id, when the request is traced. */
  readonly traceId?: string;
  /** Who called (the API key's id or the JWT's sub), when PREDICT_AUTH is on. */
  readonly caller?: string;
  /** Epoch ms when the run started. */
  readonly startedAt: number;
  readonly latencyMs: number;
  /** Rows of the batch: instances of the request (the first dimension of its first input). */
  readonly rows: number;
  readonly inputs: TensorMap;
  readonly outputs: TensorMap;
  /** Set for models with a response cache. */
  readonly cache?: 'hit' | 'miss';
  /**
   * Set on a shadow version's answer (shadow/): the version that served the request, whose answer
   * went to the client. `version` is then the shadow's.
   */
  readonly shadowOf?: number;
}

/**
 * What watches predictions after they are answered (the prediction log,
 * drift statistics). An observer must return at once and never throw: it
 * queues what it needs and does the rest later, so no prediction waits for it.
 */
export interface PredictionObserver {
  readonly name: string;
  /** `context` is the request's, for an observer with work to start once the answer has gone out (RequestContext.recordBy). */
  observe(record: PredictionRecord, context: RequestContext): void;
  /** A shadow version's answer to a request answered already (shadow/), for the observers that keep those too. */
  observeShadow?(record: PredictionRecord): void;
}

/**
 * The observers of every answered prediction, registered by the modules that
 * provide them (they import serving/, not the other way round).
 */
@Injectable()
export class PredictionObservers {
  private readonly logger = new Logger('PredictionObservers');
  private observers: readonly PredictionObserver[] = [];
  private readonly failed = new Set<string>();
  /** Whether any observer takes shadow answers: without one, no record of them is made. */
  takeShadows = false;

  add(observer: PredictionObserver): void {
    this.observers = [...this.observers, observer];
    this.takeShadows ||= observer.observeShadow !== undefined;
  }

  get active(): boolean {
    return this.observers.length > 0;
  }

  notify(record: PredictionRecord, context: RequestContext): void {
    for (const observer of this.observers) {
      try {
        observer.observe(record, context);
      } catch (error) {
        this.failedOnce(observer, error);
      }
    }
  }

  /** A shadow version's answer, shown to the observers that take them (the prediction log; not drift, which counts served answers). */
  notifyShadow(record: PredictionRecord): void {
    for (const observer of this.observers) {
      if (!observer.observeShadow) continue;
      try {
        observer.observeShadow(record);
      } catch (error) {
        this.failedOnce(observer, error);
      }
    }
  }

  private failedOnce(observer: PredictionObserver, error: unknown): void {
    // Logged once per observer: a broken observer must not flood the log or touch the answer.
    if (!this.failed.has(observer.name)) {
      this.failed.add(observer.name);
      this.logger.error(`prediction observer ${observer.name} failed (reported once): ${(error as Error).message}`);
    }
  }
}
