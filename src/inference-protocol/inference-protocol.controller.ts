import { applyDecorators, Controller, Get, HttpCode, Param, Post, Res } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiConsumes,
  ApiExtraModels,
  ApiHeader,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiPayloadTooLargeResponse,
  ApiServiceUnavailableResponse,
  ApiTags,
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
import { Probes } from '../health/probes';
import type { VersionSelector } from '../model-registry/requested-version';
import type { RequestContext } from '../request-context/request-context';
import { ParsePathVersionPipe, PathVersionParam, type PathVersion } from '../serving/path-version.pipe';
import { CallerDeadline, Context, RequestedVersion, setModelAnswerHeaders } from '../serving/request-params';
import { V2ErrorDto, V2InferenceRequestDto, V2InferenceResponseDto } from './dto/inference.dto';
import { V2ModelMetadataDto, V2ServerMetadataDto } from './dto/metadata.dto';
import { HttpWireFormat, type HttpInferenceMessage, InferenceMessage, sendInferenceBody } from './http-wire-format';
import { InferencePipeline, type VersionChoice } from './inference-pipeline';
import { serverMetadata } from './server-metadata';

/** The protocol's health answers are the status code alone: 200 true, 4xx false (400, as Triton answers), empty body. */
const NOT_READY = 400;

const MODEL_PARAM = ApiParam({ name: 'name', description: 'Model name', example: 'iris' });
const VERSION_PARAM = ApiParam({
  name: 'version',
  description: 'Version number; wins over the X-Model-Version header',
  example: '1',
});
const DEFAULT_VERSION_HEADERS = applyDecorators(ApiVersionHeader({ pathWins: true }), ApiRequestKeyHeader());
const ERRORS = applyDecorators(
  ApiBadRequestResponse({ type: V2ErrorDto, description: 'Malformed request, version or header; the message says what' }),
  ApiNotFoundResponse({ type: V2ErrorDto, description: 'Unknown model, or the selected version is not READY' }),
  ApiServiceUnavailableResponse({
    type: V2ErrorDto,
    description: 'The selected version is still loading (MODEL_LOADING=lazy: its first request loads it); retry after Retry-After',
  }),
);

const IRIS_REQUEST = {
  id: '42',
  inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: [5.1, 3.5, 1.4, 0.2] }],
};

const INFER_DOC = applyDecorators(
  HttpCode(200),
  ApiOperation({
    summary: 'Inference (Open Inference Protocol)',
    description:
      'JSON: an inference request object. Binary tensor data extension: the JSON header of Inference-Header-Content-Length bytes, ' +
      'then the raw bytes of every input that has parameters.binary_data_size, in input order (little-endian, row-major; BOOL one byte; ' +
      'BYTES elements a 4-byte little-endian length then the bytes). Outputs come back as raw bytes after the JSON when requested ' +
      '(parameters.binary_data on an output, or binary_data_output for all); the response then is application/octet-stream ' +
      'with Inference-Header-Content-Length. Bodies with no Content-Type (as tritonclient sends) are read as JSON.',
  }),
  ApiHeader({
    name: 'Inference-Header-Content-Length',
    required: false,
    description: 'Binary tensor data extension: length in bytes of the JSON header at the start of the body',
    schema: { type: 'integer', minimum: 0 },
  }),
  ApiRequestTimeoutHeader(),
  // Only the JSON form has a schema to show; the binary form (any Content-Type) is described above.
  ApiConsumes('application/json'),
  ApiBody({ type: V2InferenceRequestDto, examples: { iris: { summary: 'iris, one flower', value: IRIS_REQUEST } } }),
  ApiOkResponse({
    type: V2InferenceResponseDto,
    description: 'The outputs; as application/octet-stream with the binary outputs after the JSON when binary outputs were asked for',
    headers: DEPRECATION_RESPONSE_HEADERS,
  }),
  ApiVersionSunsetResponse(V2ErrorDto),
  ApiPayloadTooLargeResponse({ type: V2ErrorDto, description: 'Body over BODY_LIMIT_BYTES' }),
  ApiUnsupportedMediaTypeResponse({ type: V2ErrorDto, description: 'A compressed body (Content-Encoding); send it uncompressed' }),
  ERRORS,
);

/**
 * The Open Inference Protocol (KServe V2) REST API with Triton's binary
 * tensor data extension, beside /v1 and over the same registry and metrics.
 * Each route reads its request (the version: the path's, else the headers'),
 * hands it to the pipeline shared with gRPC, and writes the answer.
 */
@ApiTags('open-inference-protocol')
@ApiExtraModels(V2ErrorDto)
@Controller('v2')
export class InferenceProtocolController {
  constructor(
    private readonly pipeline: InferencePipeline,
    private readonly wire: HttpWireFormat,
    private readonly probes: Probes,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Server metadata: name, version, supported extensions' })
  @ApiOkResponse({ type: V2ServerMetadataDto })
  serverMetadata(): V2ServerMetadataDto {
    return serverMetadata();
  }

  @Get('health/live')
  @ApiOperation({ summary: 'Server live: 200 while the process and its inference workers live, else 400 (empty body)' })
  @ApiOkResponse({ description: 'Live' })
  @ApiBadRequestResponse({ description: 'Not live: an inference worker died (GET /health/live says which)' })
  async live(@Res() reply: FastifyReply): Promise<void> {
    answerHealth(reply, (await this.probes.notLiveBecause()) === undefined);
  }

  @Get('health/ready')
  @ApiOperation({ summary: "Server ready: 200 when every model's default version is READY and the server is not shutting down, else 400 (empty body)" })
  @ApiOkResponse({ description: 'Ready' })
  @ApiBadRequestResponse({ description: 'Not ready: shutting down, models still loading, or a default version FAILED (GET /health/ready says which)' })
  async ready(@Res() reply: FastifyReply): Promise<void> {
    answerHealth(reply, (await this.probes.notReadyBecause()) === undefined);
  }

  @Get('models/:name')
  @CallerAuth()
  @ApiOperation({ summary: 'Model metadata: the versions it serves, platform, and the selected version’s inputs and outputs' })
  @MODEL_PARAM
  @DEFAULT_VERSION_HEADERS
  @ApiOkResponse({ type: V2ModelMetadataDto, headers: DEPRECATION_RESPONSE_HEADERS })
  @ERRORS
  modelMetadata(
    @Param('name') name: string,
    @RequestedVersion() version: VersionSelector,
    @Context() context: RequestContext,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<V2ModelMetadataDto> {
    return this.metadataOf(name, version, context, reply);
  }

  @Get('models/:name/versions/:version')
  @CallerAuth()
  @ApiOperation({ summary: 'Model metadata of one version' })
  @MODEL_PARAM
  @VERSION_PARAM
  @ApiOkResponse({ type: V2ModelMetadataDto, headers: DEPRECATION_RESPONSE_HEADERS })
  @ERRORS
  versionMetadata(
    @Param('name') name: string,
    @Param('version', ParsePathVersionPipe) version: PathVersion,
    @Context() context: RequestContext,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<V2ModelMetadataDto> {
    return this.metadataOf(name, version, context, reply);
  }

  @Get('models/:name/ready')
  @CallerAuth()
  @ApiOperation({ summary: 'Model ready: 200 when the selected version is READY, else 400 (empty body)' })
  @MODEL_PARAM
  @DEFAULT_VERSION_HEADERS
  @ApiOkResponse({ description: 'Ready' })
  @ApiBadRequestResponse({ description: 'Not ready (unknown model or version, loading, not loaded yet (AVAILABLE), FAILED), or a malformed X-Model-Version' })
  modelReady(@Param('name') name: string, @RequestedVersion() version: VersionSelector, @Res() reply: FastifyReply): void {
    answerHealth(reply, this.pipeline.isModelReady(name, version));
  }

  @Get('models/:name/versions/:version/ready')
  @CallerAuth()
  @ApiOperation({ summary: 'Model ready, for one version: 200 or 400 (empty body)' })
  @MODEL_PARAM
  @VERSION_PARAM
  @ApiOkResponse({ description: 'Ready' })
  @ApiBadRequestResponse({ description: 'Not ready (unknown model or version, loading, not loaded yet (AVAILABLE), FAILED), or a malformed version' })
  versionReady(@Param('name') name: string, @Param('version', ParsePathVersionPipe) version: PathVersion, @Res() reply: FastifyReply): void {
    answerHealth(reply, this.pipeline.isModelReady(name, version));
  }

  // Nest reads a route's parameters from the last: the body is refused (multipart, compressed) before
  // X-Request-Timeout-Ms, and that before X-Model-Version and X-Request-Key, whichever errors come first;
  // a version in the path is refused before all of them (so it is declared last).
  @Post('models/:name/infer')
  @CallerAuth()
  @INFER_DOC
  @MODEL_PARAM
  @DEFAULT_VERSION_HEADERS
  infer(
    @Param('name') name: string,
    @RequestedVersion() version: VersionSelector,
    @CallerDeadline() deadline: number | undefined,
    @InferenceMessage() message: HttpInferenceMessage,
    @Context() context: RequestContext,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<string | Buffer> {
    return this.inferOn(name, version, deadline, message, context, reply);
  }

  @Post('models/:name/versions/:version/infer')
  @CallerAuth()
  @INFER_DOC
  @MODEL_PARAM
  @VERSION_PARAM
  inferVersion(
    @Param('name') name: string,
    @CallerDeadline() deadline: number | undefined,
    @InferenceMessage() message: HttpInferenceMessage,
    @Context() context: RequestContext,
    @Res({ passthrough: true }) reply: FastifyReply,
    @PathVersionParam() version: PathVersion,
  ): Promise<string | Buffer> {
    return this.inferOn(name, version, deadline, message, context, reply);
  }

  private async metadataOf(name: string, version: VersionChoice, context: RequestContext, reply: FastifyReply): Promise<V2ModelMetadataDto> {
    const acquired = this.pipeline.acquire(name, version);
    const ready = acquired instanceof Promise ? await acquired : acquired;
    const metadata = this.pipeline.metadata(ready, context);
    setModelAnswerHeaders(reply, ready.version, context);
    return metadata;
  }

  private async inferOn(
    name: string,
    version: VersionChoice,
    deadline: number | undefined,
    message: HttpInferenceMessage,
    context: RequestContext,
    reply: FastifyReply,
  ): Promise<string | Buffer> {
    const acquired = this.pipeline.acquire(name, version, deadline);
    // A READY version comes back as it is: no promise to wait for on the common path.
    const ready = acquired instanceof Promise ? await acquired : acquired;
    // Named from here on, on a refusal of the request's body too.
    setModelAnswerHeaders(reply, ready.version);
    const answer = await this.pipeline.infer(ready, this.wire, message, deadline, context);
    setModelAnswerHeaders(reply, ready.version, context);
    return sendInferenceBody(reply, answer);
  }
}

function answerHealth(reply: FastifyReply, healthy: boolean): void {
  void reply.status(healthy ? 200 : NOT_READY).send();
}
