import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { PredictionLog } from '../prediction-log/prediction-log.service';

/**
 * The prediction log's sink in /health/ready's details. Always up: a failing sink costs log
 * records (counted in prediction_log_dropped_total), never traffic, so it must not take the pod out
 * of its Service. The details are those of the process that answered the probe.
 */
@Injectable()
export class PredictionLogHealthIndicator {
  constructor(
    private readonly log: PredictionLog,
    private readonly health: HealthIndicatorService,
  ) {}

  get enabled(): boolean {
    return this.log.enabled;
  }

  check(key = 'prediction_log') {
    return this.health.check(key).up({ ...this.log.status() });
  }
}
