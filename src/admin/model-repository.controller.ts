import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiConflictResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
} from '@nestjs/swagger';
import { DomainError } from '../common/errors/domain-error';
import { ModelRegistry } from '../model-registry/model-registry.service';
import { whyNotServing } from '../model-registry/readiness';
import { AdminActions } from './admin-actions';
import { AdminApi } from './admin-api.decorator';
import { RepositoryIndexEntryDto, RepositoryIndexRequestDto } from './dto/repository-index.dto';
import { mapRepositoryIndex, readIndexRequest, readLoadRequest, readUnloadRequest, REPOSITORY_ROUTES_PREFIX } from './repository-requests';

/**
 * The Open Inference Protocol's model repository extension (as Triton serves it), over the admin API's
 * actions and behind its token: the index of every version and its state, and loading or unloading a
 * whole model, in every HTTP process. Errors are the protocol's `{"error": "..."}` bodies.
 */
@AdminApi('unknown model')
@Controller(REPOSITORY_ROUTES_PREFIX.slice(1))
export class ModelRepositoryController {
  constructor(
    private readonly registry: ModelRegistry,
    private readonly actions: AdminActions,
  ) {}

  @Post('index')
  @HttpCode(200)
  @ApiOperation({ summary: 'Every model version and its state (READY, LOADING, AVAILABLE, FAILED, UNAVAILABLE), with why' })
  @ApiBody({ type: RepositoryIndexRequestDto, required: false })
  @ApiOkResponse({ type: [RepositoryIndexEntryDto] })
  index(@Body() body: unknown): RepositoryIndexEntryDto[] {
    return mapRepositoryIndex(this.registry.list(), readIndexRequest(body).readyOnly);
  }

  @Post('models/:name/load')
  @HttpCode(200)
  @ApiOperation({ summary: 'Load (or reload) every version of a model and its config from MODELS_DIR; answers once each is READY or FAILED' })
  @ApiParam({ name: 'name', example: 'iris' })
  @ApiOkResponse({ description: 'Loaded: at least one version is READY (empty body); GET /v1/models says how each version fared' })
  @ApiBadRequestResponse({ description: 'Parameters (a config or files to load from the request) are not supported, or no version could load (each one named with why)' })
  async load(@Param('name') name: string, @Body() body: unknown): Promise<void> {
    readLoadRequest(body);
    await this.actions.apply({ op: 'reload', model: name });
    const model = this.registry.get(name);
    // As the protocol says: a load that leaves nothing to serve is a failed request, not a success to look into.
    if (!model.versions.some((status) => status.state === 'READY')) {
      throw new DomainError('BAD_REQUEST', `failed to load model "${name}": ${whyNotServing(model) ?? 'no version is READY'}`);
    }
  }

  @Post('models/:name/unload')
  @HttpCode(200)
  @ApiOperation({ summary: 'Unload every version of a model (requests in flight finish first); they stay unloaded until loaded again' })
  @ApiParam({ name: 'name', example: 'iris' })
  @ApiOkResponse({ description: 'Unloaded (empty body)' })
  @ApiConflictResponse({ description: 'A model readiness waits for (REQUIRED_MODELS, or one that served at start in eager mode)' })
  async unload(@Param('name') name: string, @Body() body: unknown): Promise<void> {
    readUnloadRequest(body);
    await this.actions.apply({ op: 'unload-model', model: name });
  }
}
