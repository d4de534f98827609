import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';
import { HEALTH_ROUTES } from './health-paths';
import { InferenceHealthIndicator } from './inference.health';
import { ModelRegistryHealthIndicator } from './model-registry.health';
import { ReadinessDetails } from './readiness-details';

@ApiTags('health')
@Controller()
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly models: ModelRegistryHealthIndicator,
    private readonly inference: InferenceHealthIndicator,
    private readonly details: ReadinessDetails,
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
    // Details such as the prediction log's sink are shown, never judged (see ReadinessDetails).
    return this.health.check([() => this.models.check(), ...this.details.checks()]);
  }
}
