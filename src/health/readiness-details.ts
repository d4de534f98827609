import { Injectable } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';

/**
 * Parts of the service that show their state in /health/ready's details
 * without judging readiness: each is always up, because what they do (the
 * prediction log's sink, say) costs records, never traffic, and must not take
 * the pod out of its Service. They register here, so health/ knows none of
 * them; the details are those of the process that answered the probe.
 */
@Injectable()
export class ReadinessDetails {
  private readonly shown = new Map<string, () => Record<string, unknown>>();

  constructor(private readonly health: HealthIndicatorService) {}

  show(key: string, status: () => Record<string, unknown>): void {
    this.shown.set(key, status);
  }

  checks(): Array<() => HealthIndicatorResult> {
    return [...this.shown].map(([key, status]) => () => this.health.check(key).up(status()));
  }
}
