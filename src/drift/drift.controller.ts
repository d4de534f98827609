import { Controller, Get, Headers, Param, Res } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiParam, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ApiVersionHeader } from '../common/http/api-headers';
import { MODEL_VERSION_HEADER } from '../common/http/http-headers';
import { ModelRegistry } from '../model-registry/model-registry.service';
import { parseVersionSelector } from '../model-registry/requested-version';
import { DriftMonitor } from './drift-monitor';
import { DriftReportDto } from './drift.dto';

@ApiTags('models')
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
    @Headers(MODEL_VERSION_HEADER) versionHeader: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<DriftReportDto> {
    const selector = parseVersionSelector(versionHeader);
    // No request key, and not the weighted split: asked without a version, the answer is the default's, every time.
    const model = this.registry.get(name);
    const defaultVersion = this.registry.defaultVersion(model);
    const ready = this.registry.resolve(
      name,
      selector.kind === 'default' && defaultVersion !== undefined ? { kind: 'number', version: defaultVersion } : selector,
    );
    void reply.header(MODEL_VERSION_HEADER, String(ready.version));
    return this.drift.report(ready);
  }
}
