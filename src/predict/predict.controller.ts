import { Controller, Get, HttpCode, Param, Post, Res } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiConsumes,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiPayloadTooLargeResponse,
  ApiQuery,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiUnprocessableEntityResponse,
  ApiUnsupportedMediaTypeResponse,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { CallerAuth } from '../auth/caller-auth';
import {
  ApiRequestKeyHeader,
  ApiRequestTimeoutHeader,
  ApiVersionHeader,
  ApiVersionSunsetResponse,
  DEPRECATION_RESPONSE_HEADERS,
} from '../common/http/api-headers';
import { ModelRegistry } from '../model-registry/model-registry.service';
import type { VersionSelector } from '../model-registry/requested-version';
import { ModelListDto } from '../model-summary/model-summary.dto';
import { mapModelList } from '../model-summary/model-summary.mapper';
import type { RequestContext } from '../request-context/request-context';
import { CallerDeadline, Context, RequestedVersion, setModelAnswerHeaders } from '../serving/request-params';
import { ModelMetadataDto } from './dto/model.dto';
import { PredictQueryDto, PredictRequestDto, PredictResponseDto } from './dto/predict.dto';
import { mapModelMetadata } from './model-mappers';
import { PredictBody, type PredictInput, RequestedTopK } from './predict-params';
import { PredictService } from './predict.service';

@ApiTags('models')
@CallerAuth()
@Controller('v1/models')
export class PredictController {
  constructor(
    private readonly registry: ModelRegistry,
    private readonly predictService: PredictService,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Every model (with PREDICT_AUTH on: every model the caller may use), its versions and their states, labels and default version' })
  @ApiOkResponse({ type: ModelListDto })
  list(@Context() context: RequestContext): ModelListDto {
    const models = this.registry.list();
    const caller = context.caller;
    return mapModelList(caller ? models.filter((model) => caller.mayUse(model.name)) : models);
  }

  @Get(':name')
  @ApiOperation({ summary: "Metadata of the selected version: inputs, outputs, features, labels" })
  @ApiParam({ name: 'name', example: 'iris' })
  @ApiVersionHeader()
  @ApiRequestKeyHeader()
  @ApiOkResponse({ type: ModelMetadataDto, headers: DEPRECATION_RESPONSE_HEADERS })
  @ApiNotFoundResponse({ description: 'Unknown model, or the selected version is not READY' })
  @ApiServiceUnavailableResponse({ description: 'The selected version is still loading (MODEL_LOADING=lazy: its first request loads it); retry after Retry-After' })
  async metadata(
    @Param('name') name: string,
    @RequestedVersion() version: VersionSelector,
    @Context() context: RequestContext,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ModelMetadataDto> {
    // The same selection as predict, sticky key included: a client reads the metadata of the version it will be served.
    const acquired = this.registry.acquire(name, version);
    const ready = acquired instanceof Promise ? await acquired : acquired;
    context.resolved(ready.name, ready.version, ready.deprecation?.notice);
    setModelAnswerHeaders(reply, ready.version, context);
    return mapModelMetadata(ready, this.registry.get(name));
  }

  @Post(':name/predict')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Predict: all instances (or all uploaded images) run as one batched inference',
    description:
      'JSON: {"instances": [...]}. Image models also take multipart/form-data with one or more files in the ' +
      'field "image" (PNG, JPEG, WebP, GIF) and answer the top_k classes per image, in upload order.',
  })
  @ApiParam({ name: 'name', example: 'iris' })
  @ApiVersionHeader()
  @ApiRequestKeyHeader()
  @ApiRequestTimeoutHeader()
  @ApiQuery({ type: PredictQueryDto })
  @ApiConsumes('application/json', 'multipart/form-data')
  @ApiBody({ type: PredictRequestDto })
  @ApiOkResponse({ type: PredictResponseDto, headers: DEPRECATION_RESPONSE_HEADERS })
  @ApiVersionSunsetResponse()
  @ApiBadRequestResponse({ description: 'Malformed JSON or multipart body, or a malformed X-Model-Version' })
  @ApiNotFoundResponse({ description: 'Unknown model, or the selected version is not READY (names the available ones)' })
  @ApiServiceUnavailableResponse({ description: 'Overloaded, or the selected version is still loading (MODEL_LOADING=lazy: its first request loads it); retry after Retry-After' })
  @ApiPayloadTooLargeResponse({ description: 'Body over BODY_LIMIT_BYTES, a file over MAX_UPLOAD_BYTES, or more than MAX_FILES_PER_REQUEST files' })
  @ApiUnsupportedMediaTypeResponse({ description: 'Neither application/json nor multipart/form-data, or images sent to a model that takes none' })
  @ApiUnprocessableEntityResponse({ description: 'Instances or images that do not fit the model; the message names each one' })
  async predict(
    // Listed from the last check to the first (see serving/request-params): a request is refused for its
    // X-Model-Version (or X-Request-Key), then its ?top_k, its X-Request-Timeout-Ms, its JSON body, in that order.
    @Param('name') name: string,
    @PredictBody() input: PredictInput,
    @CallerDeadline() callerDeadline: number | undefined,
    @RequestedTopK() topK: number | undefined,
    @RequestedVersion() version: VersionSelector,
    @Context() context: RequestContext,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<PredictResponseDto> {
    const answer = await this.predictService.predict(name, version, input, { topK, callerDeadline, context });
    setModelAnswerHeaders(reply, answer.version, context);
    return answer;
  }
}
