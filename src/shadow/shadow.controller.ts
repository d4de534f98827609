import { Controller, Get, Param } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiParam, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { CallerAuth } from '../auth/caller-auth';
import { ShadowMonitor } from './shadow-monitor';
import { ShadowReportDto } from './shadow.dto';

@ApiTags('models')
@CallerAuth()
@Controller('v1/models')
export class ShadowController {
  constructor(private readonly shadow: ShadowMonitor) {}

  @Get(':name/shadow')
  @ApiOperation({
    summary: "How the model's shadow version compares with the versions serving it: agreement, differences, what became of the sampled requests",
    description:
      'Counts since the shadow config in force applied (`since`), added up over the HTTP processes of the pod. ' +
      'Agreement rates come with their 95% Wilson interval; the largest differences name their requests.',
  })
  @ApiParam({ name: 'name', example: 'iris' })
  @ApiOkResponse({ type: ShadowReportDto })
  @ApiNotFoundResponse({ description: 'Unknown model, or a model with no shadow version configured (code NO_SHADOW)' })
  @ApiServiceUnavailableResponse({ description: 'Another HTTP process of the pod did not answer in time (PROCESS_UNAVAILABLE)' })
  report(@Param('name') name: string): Promise<ShadowReportDto> {
    return this.shadow.report(name);
  }
}
