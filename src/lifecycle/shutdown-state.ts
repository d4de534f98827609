import { Injectable } from '@nestjs/common';

/** Whether the service has been asked to stop: readiness turns 503 at once so load balancers move away. */
@Injectable()
export class ShutdownState {
  draining = false;

  startDraining(): void {
    this.draining = true;
  }
}
