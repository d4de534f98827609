import { Body, Controller, Delete, HttpCode, Param, Post, Put } from '@nestjs/common';
import {
  ApiBody,
  ApiConflictResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiPayloadTooLargeResponse,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import { ParsePathVersionPipe, type PathVersion } from '../serving/path-version.pipe';
import { ModelRegistry } from '../model-registry/model-registry.service';
import type { ModelConfigValues } from '../model-registry/model-config';
import { ModelListDto, ModelSummaryDto } from '../model-summary/model-summary.dto';
import { mapModelList, mapModelStatus } from '../model-summary/model-summary.mapper';
import { AdminActions } from './admin-actions';
import { ADMIN_ROUTES_PREFIX } from './admin-routes';
import { AdminApi } from './admin-api.decorator';
import { ModelConfigDto } from './dto/model-config.dto';
import { ParseModelConfigPipe } from './model-config-body';

/**
 * Operations on what is served, without a restart. Off unless ADMIN_TOKEN is
 * set; every call needs it as a bearer token. Changes made here live in memory
 * (of every HTTP process of the pod): a restart goes back to MODELS_DIR and
 * its config.json files.
 */
@AdminApi('unknown model or version')
@ApiPayloadTooLargeResponse({ description: 'A body over 64 KiB (the admin API limit)' })
@Controller(ADMIN_ROUTES_PREFIX.slice(1))
export class AdminController {
  constructor(
    private readonly registry: ModelRegistry,
    private readonly actions: AdminActions,
  ) {}

  @Post('rescan')
  @HttpCode(200)
  @ApiOperation({ summary: 'Read MODELS_DIR now: load new and changed versions, retire removed ones; answers when done' })
  @ApiOkResponse({ type: ModelListDto })
  async rescan(): Promise<ModelListDto> {
    await this.actions.apply({ op: 'rescan' });
    return mapModelList(this.registry.list());
  }

  @Post('models/:name/reload')
  @HttpCode(200)
  @ApiOperation({ summary: "Reload every version and the config.json of a model from disk; each version is swapped in when READY" })
  @ApiParam({ name: 'name', example: 'iris' })
  @ApiOkResponse({ type: ModelSummaryDto })
  async reloadModel(@Param('name') name: string): Promise<ModelSummaryDto> {
    await this.actions.apply({ op: 'reload', model: name });
    return this.summary(name);
  }

  @Post('models/:name/versions/:version/load')
  @HttpCode(200)
  @ApiOperation({ summary: 'Load (or reload) one version from disk; answers when it is READY or FAILED' })
  @ApiParam({ name: 'name', example: 'iris' })
  @ApiParam({ name: 'version', example: '2' })
  @ApiOkResponse({ type: ModelSummaryDto })
  async load(@Param('name') name: string, @Param('version', ParsePathVersionPipe) version: PathVersion): Promise<ModelSummaryDto> {
    await this.actions.apply({ op: 'load', model: name, version: version.number });
    return this.summary(name);
  }

  @Post('models/:name/versions/:version/unload')
  @HttpCode(200)
  @ApiOperation({ summary: 'Stop serving one version (requests in flight finish first); it stays unloaded until loaded again' })
  @ApiParam({ name: 'name', example: 'iris' })
  @ApiParam({ name: 'version', example: '2' })
  @ApiOkResponse({ type: ModelSummaryDto })
  @ApiConflictResponse({ description: 'The version is the default: make another one the default first' })
  async unload(@Param('name') name: string, @Param('version', ParsePathVersionPipe) version: PathVersion): Promise<ModelSummaryDto> {
    await this.actions.apply({ op: 'unload', model: name, version: version.number });
    return this.summary(name);
  }

  @Put('models/:name/config')
  @ApiOperation({
    summary: "Set a model's default version, labels and canary weights at run time (wins over config.json until cleared)",
  })
  @ApiParam({ name: 'name', example: 'iris' })
  @ApiOkResponse({ type: ModelSummaryDto })
  @ApiBody({ type: ModelConfigDto })
  @ApiConflictResponse({ description: 'The new default version is not READY' })
  @ApiUnprocessableEntityResponse({ description: 'An unknown key, a bad label, weight or version, or more than 256 labels or weights; the message names the key and its path' })
  async setConfig(@Param('name') name: string, @Body(ParseModelConfigPipe) overrides: ModelConfigValues): Promise<ModelSummaryDto> {
    await this.actions.apply({ op: 'set-config', model: name, overrides });
    return this.summary(name);
  }

  @Delete('models/:name/config')
  @ApiOperation({ summary: 'Clear the run-time config: config.json applies again' })
  @ApiParam({ name: 'name', example: 'iris' })
  @ApiOkResponse({ type: ModelSummaryDto })
  async clearConfig(@Param('name') name: string): Promise<ModelSummaryDto> {
    await this.actions.apply({ op: 'set-config', model: name, overrides: undefined });
    return this.summary(name);
  }

  private summary(name: string): ModelSummaryDto {
    return mapModelStatus(this.registry.get(name));
  }
}
