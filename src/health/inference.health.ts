import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { Probes } from './probes';

/** Liveness (Probes.notLiveBecause) as a terminus check, with the reason in its details. */
@Injectable()
export class InferenceHealthIndicator {
  constructor(
    private readonly probes: Probes,
    private readonly health: HealthIndicatorService,
  ) {}

  async check(key = 'inference') {
    const indicator = this.health.check(key);
    const failure = await this.probes.notLiveBecause();
    return failure ? indicator.down({ message: failure }) : indicator.up();
  }
}
