import { Body, Controller, Get, Headers, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
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
  ApiTags,
  ApiUnprocessableEntityResponse,
  ApiUnsupportedMediaTypeResponse,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiRequestKeyHeader, ApiRequestTimeoutHeader, ApiVersionHeader } from '../common/http/api-headers';
import { CACHE_HEADER, MODEL_VERSION_HEADER, REQUEST_KEY_HEADER, REQUEST_TIMEOUT_HEADER } from '../common/http/http-headers';
import { deadlineOf, deadlineOfTimeoutHeader } from '../request-context/deadline';
import { validateFlatDto } from '../common/validation/dto-validation';
import { AppConfig } from '../config/app-config';
import { ModelRegistry } from '../model-registry/model-registry.service';
import { parseVersionSelector } from '../model-registry/requested-version';
import { ModelListDto } from '../model-summary/model-summary.dto';
import { mapConfigError, mapModelSummary } from '../model-summary/model-summary.mapper';
import { ModelMetadataDto } from './dto/model.dto';
import { PredictQueryDto, PredictRequestDto, PredictResponseDto } from './dto/predict.dto';
import { isValidPredictRequest } from './dto/predict.schema';
import { readImageParts } from './multipart-images';
import { mapModelMetadata } from './model-mappers';
import { PredictService } from './predict.service';

@ApiTags('models')
@Controller('v1/models')
export class PredictController {
  constructor(
    private readonly registry: ModelRegistry,
    private readonly predictService: PredictService,
    private readonly config: AppConfig,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Every model, its versions and their states, labels and default version' })
  @ApiOkResponse({ type: ModelListDto })
  list(): ModelListDto {
    return {
      models: this.registry.list().map((model) => mapModelSummary(model, this.registry.defaultVersion(model))),
    };
  }

  @Get(':name')
  @ApiOperation({ summary: "Metadata of the selected version: inputs, outputs, features, labels" })
  @ApiParam({ name: 'name', example: 'iris' })
  @ApiVersionHeader()
  @ApiRequestKeyHeader()
  @ApiOkResponse({ type: ModelMetadataDto })
  @ApiNotFoundResponse({ description: 'Unknown model, or the selected version is not READY' })
  metadata(
    @Param('name') name: string,
    @Headers(MODEL_VERSION_HEADER) versionHeader: string | undefined,
    @Headers(REQUEST_KEY_HEADER) requestKey: string | undefined,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): ModelMetadataDto {
    // The same selection as predict, sticky key included: a client reads the metadata of the version it will be served.
    const ready = this.registry.resolve(name, parseVersionSelector(versionHeader, requestKey));
    request.requestContext.resolved(ready.name, ready.version);
    void reply.header(MODEL_VERSION_HEADER, String(ready.version));
    return mapModelMetadata(ready, mapConfigError(this.registry.get(name)));
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
  @ApiOkResponse({ type: PredictResponseDto })
  @ApiBadRequestResponse({ description: 'Malformed JSON or multipart body, or a malformed X-Model-Version' })
  @ApiNotFoundResponse({ description: 'Unknown model, or the selected version is not READY (names the available ones)' })
  @ApiPayloadTooLargeResponse({ description: 'Body over BODY_LIMIT_BYTES, a file over MAX_UPLOAD_BYTES, or more than MAX_FILES_PER_REQUEST files' })
  @ApiUnsupportedMediaTypeResponse({ description: 'Neither application/json nor multipart/form-data, or images sent to a model that takes none' })
  @ApiUnprocessableEntityResponse({ description: 'Instances or images that do not fit the model; the message names each one' })
  async predict(
    @Param('name') name: string,
    @Headers(MODEL_VERSION_HEADER) versionHeader: string | undefined,
    // Validated below rather than by the global pipe: the pipe's async validation showed in profiles.
    @Query() rawQuery: unknown,
    @Req() request: FastifyRequest,
    @Body() body: unknown,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<PredictResponseDto> {
    const selector = parseVersionSelector(versionHeader, request.headers[REQUEST_KEY_HEADER]);
    // Most calls have no query string at all; only a present one needs converting and checking.
    const query = isEmpty(rawQuery) ? {} : validateFlatDto(PredictQueryDto, rawQuery, { convert: true, what: 'query string' });
    const context = request.requestContext;
    context.deadline = deadlineOf(this.config.QUEUE_TIMEOUT_MS, deadlineOfTimeoutHeader(request.headers[REQUEST_TIMEOUT_HEADER]));
    const options = { topK: query.top_k, context };
    // One URL takes two bodies, so the JSON one is validated here rather than by the global pipe.
    const { ready, predictions } = request.isMultipart()
      ? await this.predictService.predictImages(name, selector, () => readImageParts(request, this.config.MAX_UPLOAD_TOTAL_BYTES), options)
      : await this.predictService.predict(name, selector, validateFlatDto(PredictRequestDto, body ?? {}, { gate: isValidPredictRequest }).instances, options);
    void reply.header(MODEL_VERSION_HEADER, String(ready.version));
    if (context.cache) void reply.header(CACHE_HEADER, context.cache === 'hit' ? 'HIT' : 'MISS');
    return { model: ready.name, version: ready.version, predictions };
  }
}

function isEmpty(query: unknown): boolean {
  return query === undefined || query === null || (typeof query === 'object' && Object.keys(query).length === 0);
}
