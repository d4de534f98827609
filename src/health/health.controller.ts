import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';
import { HEALTH_ROUTES } from './health.routes';
import { InferenceHealthIndicator } from './inference.health';
import { ModelRegistryHealthIndicator } from './model-registry.health';
import { PredictionLogHealthIndicator } from './prediction-log.health';

@ApiTags('health')
@Controller()
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly models: ModelRegistryHealthIndicator,
    private readonly inference: InferenceHealthIndicator,
    private readonly predictionLog: PredictionLogHealthIndicator,
  ) {}

  @Get(HEALTH_ROUTES.live)
  @HealthCheck()
  @ApiOperation({ summary: 'Liveness: 200 while the process runs and its inference workers live (dead ones are replaced)' })
  @ApiServiceUnavailableResponse({ description: 'An inference worker died and could not be replaced: the process must be restarted' })
  live() {
    return this.health.check([() => this.inference.check()]);
  }

  @Get(HEALTH_ROUTES.ready)
  @HealthCheck()
  @ApiOperation({ summary: "Readiness: 200 only when every required model's default version is READY and warmed" })
  @ApiServiceUnavailableResponse({
    description: 'Still loading, shutting down, or a required model cannot serve; names the models that cause it and why',
  })
  ready() {
    // The prediction log's sink is shown, never judged: it is always up (see PredictionLogHealthIndicator).
    const predictionLog = this.predictionLog.enabled ? [() => this.predictionLog.check()] : [];
    return this.health.check([() => this.models.check(), ...predictionLog]);
  }
}
