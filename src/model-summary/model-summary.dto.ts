import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { AFTER_SUNSET, type AfterSunset } from '../model-registry/deprecation-config';
import { VERSION_STATES, type VersionState } from '../model-registry/model-version';

/**
 * What GET /v1/models and the admin API answer about a model: its versions
 * and their states, labels, default and canary weights. Shared by both
 * surfaces, so it lives beside neither.
 */
/** What a client needs to know to send a READY version images: the size and colour they are brought to. */
export class ImageInputSummaryDto {
  @ApiProperty({ example: 28 })
  width!: number;

  @ApiProperty({ example: 28 })
  height!: number;

  @ApiProperty({ enum: ['grayscale', 'rgb'], example: 'grayscale' })
  color!: string;
}

export class VersionSummaryDto {
  @ApiProperty({ example: 1 })
  version!: number;

  @ApiProperty({ enum: VERSION_STATES, example: 'READY' })
  state!: VersionState;

  @ApiPropertyOptional({ description: 'Why the version is FAILED or UNAVAILABLE' })
  reason?: string;

  @ApiPropertyOptional({
    example: 'd3ba496add20dcf3f4f676133bb0a779f94779f77a1fa58345d9ab51ab006c43',
    description:
      'SHA-256 (lower-case hex) of the model.onnx this version serves; present while a session is loaded ' +
      '(READY, or a session that still serves after a failed reload)',
  })
  sha256?: string;

  @ApiPropertyOptional({
    example: 'd3ba496add20dcf3f4f676133bb0a779f94779f77a1fa58345d9ab51ab006c43',
    description:
      "SHA-256 the model's config.json declares for this version (`versions.<n>.sha256`), lower case; present " +
      'when one is declared. A model.onnx with another digest is refused: the version is FAILED, its reason naming both',
  })
  declared_sha256?: string;

  @ApiPropertyOptional({
    oneOf: [{ type: 'boolean', enum: [true] }, { type: 'string', format: 'date-time' }],
    example: '2026-12-01T00:00:00Z',
    description:
      "Present while the version is deprecated (the model's config.json or the admin API's `versions.<n>`): the RFC 3339 " +
      'date-time configured, or true when none was (a sunset alone deprecates a version too). Its answers carry Deprecation, ' +
      'and Sunset and Link when set',
  })
  deprecated?: true | string;

  @ApiPropertyOptional({ format: 'date-time', example: '2027-06-01T00:00:00Z', description: 'The sunset configured for the version, RFC 3339' })
  sunset?: string;

  @ApiPropertyOptional({
    enum: AFTER_SUNSET,
    description: 'With a sunset: after it, `serve` keeps answering (with the headers), `refuse` answers 410 Gone (gRPC: FAILED_PRECONDITION)',
  })
  after_sunset?: AfterSunset;

  @ApiPropertyOptional({ example: 'https://example.com/iris-v1-retirement', description: 'Where clients read about the deprecation (the Link header)' })
  link?: string;

  @ApiPropertyOptional({
    type: () => ImageInputSummaryDto,
    description: 'Present when the loaded version takes image uploads (its manifest has an "image" section)',
  })
  image?: ImageInputSummaryDto;
}

/** A config.json refused on disk: what the model serves with meanwhile is `in_force`. */
export class ConfigErrorDto {
  @ApiProperty({ example: 'iris/config.json', description: 'The refused file, as MODELS_DIR (or MODEL_CONFIG_DIR) names it' })
  file!: string;

  @ApiProperty({ example: 'iris/config.json is not valid JSON (at character 17)' })
  reason!: string;

  @ApiProperty({ format: 'date-time', description: 'When the file on disk was first refused' })
  since!: string;

  @ApiProperty({
    enum: ['last_good', 'none'],
    description:
      '`last_good`: the model serves with its last usable config (shown beside: default_version, labels, weights); ' +
      '`none`: it never had a usable one and is not served until the file is fixed',
  })
  in_force!: 'last_good' | 'none';
}

export class ShadowSummaryDto {
  @ApiProperty({ oneOf: [{ type: 'integer' }, { type: 'string' }], example: 2, description: 'A version number or a label, as configured' })
  version!: number | string;

  @ApiProperty({ example: 0.1, description: 'Share of the answered requests run again on it' })
  sample!: number;

  @ApiProperty({ format: 'date-time', description: 'When this shadow config applied' })
  since!: string;
}

export class ModelSummaryDto {
  @ApiProperty({ example: 'iris' })
  name!: string;

  @ApiProperty({ type: [VersionSummaryDto] })
  versions!: VersionSummaryDto[];

  @ApiProperty({ type: 'object', additionalProperties: { type: 'integer' }, example: { stable: 1, canary: 2 } })
  labels!: Record<string, number>;

  @ApiPropertyOptional({ example: 1, description: 'Version served when a request names none' })
  default_version?: number;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'number' },
    example: { '1': 90, '2': 10 },
    description: 'Canary split: share of the requests that name no version, per version',
  })
  weights?: Record<string, number>;

  @ApiPropertyOptional({ type: () => ConfigErrorDto, description: 'Present while the model-level config.json on disk is refused' })
  config_error?: ConfigErrorDto;

  @ApiPropertyOptional({ type: () => ShadowSummaryDto, description: 'Present while a shadow version is configured (its figures: GET /v1/models/{name}/shadow)' })
  shadow?: ShadowSummaryDto;
}

export class ModelListDto {
  @ApiProperty({ type: [ModelSummaryDto] })
  models!: ModelSummaryDto[];
}
