import { Injectable } from '@nestjs/common';

/** Whether the service has been asked to stop: readiness turns 503 at once so load balancers move away. */
@Injectable()
export class ShutdownState {
  private drainingSince: number | undefined;

  get draining(): boolean {
    return this.drainingSince !== undefined;
  }

  startDraining(): void {
    this.drainingSince ??= Date.now();
  }
}
