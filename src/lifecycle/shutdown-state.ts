import { Injectable } from '@nestjs/common';

/**
 * Whether the service has been asked to stop: readiness turns 503 at once so
 * load balancers move away. Servers other than the HTTP one (gRPC) register
 * how they drain, and the graceful shutdown drains them beside HTTP.
 */
@Injectable()
export class ShutdownState {
  draining = false;
  private readonly drains: (() => Promise<void>)[] = [];
  private readonly drainingListeners: (() => void)[] = [];

  startDraining(): void {
    this.draining = true;
    for (const listener of this.drainingListeners) listener();
  }

  /** Called once draining starts (before the delay): e.g. gRPC health turns NOT_SERVING. */
  onDraining(listener: () => void): void {
    this.drainingListeners.push(listener);
  }

  /** `drain` stops accepting and resolves once everything in flight has finished. */
  addDrain(drain: () => Promise<void>): void {
    this.drains.push(drain);
  }

  async drainOthers(): Promise<void> {
    await Promise.all(this.drains.map((drain) => drain()));
  }
}
