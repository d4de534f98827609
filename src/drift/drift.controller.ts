import { Controller, Get, Param, Res } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiParam, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { CallerAuth } from '../auth/caller-auth';
import { ApiVersionHeader } from '../common/http/api-headers';
import { ModelRegistry } from '../model-registry/model-registry.service';
import type { VersionSelector } from '../model-registry/requested-version';
import { NamedVersion, setModelAnswerHeaders } from '../serving/request-params';
import { DriftMonitor } from './drift-monitor';
import { reportedVersion } from './drift-version';
import { DriftReportDto } from './drift.dto';

@ApiTags('models')
@CallerAuth()
@Controller('v1/models')
export class DriftController {
  constructor(
    private readonly registry: ModelRegistry,
    private readonly drift: DriftMonitor,
  ) {}

  @Get(':name/drift')
  @ApiOperation({
    summary: 'Drift of the selected version: live inputs and predictions against its training data (PSI per feature, a verdict each)',
    description:
      'Counts the last `window` instances the version answered (per HTTP process; the answer adds up every process of the pod) ' +
      "in the bins of the drift reference in its manifest. Without X-Model-Version: the default version (not the canary split).",
  })
  @ApiParam({ name: 'name', example: 'iris' })
  @ApiVersionHeader()
  @ApiOkResponse({ type: DriftReportDto })
  @ApiNotFoundResponse({ description: 'Unknown model, a version that is not READY, or a version whose manifest has no drift reference (code NO_DRIFT_REFERENCE)' })
  @ApiServiceUnavailableResponse({ description: 'Another HTTP process of the pod did not answer in time (PROCESS_UNAVAILABLE)' })
  async report(
    @Param('name') name: string,
    @NamedVersion() version: VersionSelector,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<DriftReportDto> {
    const acquired = reportedVersion(this.registry, name, version);
    const ready = acquired instanceof Promise ? await acquired : acquired;
    setModelAnswerHeaders(reply, ready.version);
    return this.drift.report(ready);
  }
}
