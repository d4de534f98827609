import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { AFTER_SUNSET, type DeprecationConfig } from '../../model-registry/deprecation-config';
import { ModelOverrides } from '../../model-registry/model-config';
import { ShadowConfig } from '../../model-registry/shadow-config';

/** A shadow version as OpenAPI shows it (model-registry/shadow-config.ts holds its rules). */
export class ShadowConfigDto extends ShadowConfig {
  @ApiProperty({ oneOf: [{ type: 'integer', minimum: 1 }, { type: 'string' }], example: 2, description: 'A version number, or a label resolved at each sampled request' })
  declare version: number | string;

  @ApiProperty({ minimum: 0, maximum: 1, example: 0.1, description: 'Share of the answered requests run again on the shadow' })
  declare sample: number;

  @ApiPropertyOptional({ minimum: 1, example: 2, description: 'Classes compared as a set (top-k agreement); default min(3, classes - 1)' })
  declare top_k?: number;

  @ApiPropertyOptional({ minimum: 1, maximum: 10_000, example: 64, description: 'Sampled requests that may wait for the shadow; more are dropped and counted (default 64)' })
  declare queue_size?: number;
}

/**
 * The body of PUT /v1/admin/models/{name}/config as OpenAPI shows it: the
 * model registry's ModelOverrides (the same fields and rules as config.json),
 * with their documentation and validation rules.
 */
export class ModelConfigDto extends ModelOverrides {
  @ApiPropertyOptional({ example: 2, description: 'Version served when a request names none and no weights apply' })
  declare default_version?: number;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'integer' },
    example: { stable: 1, canary: 2 },
    description: 'Label -> version',
  })
  declare labels: Record<string, number>;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'number' },
    example: { '1': 90, '2': 10 },
    description: 'Version -> share of the requests that name no version (canary split)',
  })
  declare weights: Record<string, number>;

  @ApiPropertyOptional({
    type: () => ShadowConfigDto,
    nullable: true,
    description:
      'A shadow version: `sample` of the answered requests run again on `version` once answered, and the answers compared ' +
      "(GET /v1/models/{name}/shadow). null turns it off; absent keeps config.json's",
  })
  declare shadow?: ShadowConfigDto | null;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: {
      type: 'object',
      properties: {
        deprecated: { oneOf: [{ type: 'boolean' }, { type: 'string', format: 'date-time' }], description: 'true, or an RFC 3339 date-time with a time zone' },
        sunset: { type: 'string', format: 'date-time', description: 'RFC 3339 date-time with a time zone; a sunset deprecates the version too' },
        link: { type: 'string', format: 'uri', description: 'Absolute http(s) URL sent as Link rel="deprecation" (and rel="sunset")' },
        after_sunset: { type: 'string', enum: [...AFTER_SUNSET], default: 'serve', description: 'refuse: 410 Gone after the sunset; needs a sunset' },
      },
    },
    example: { '1': { deprecated: '2026-12-01T00:00:00Z', sunset: '2027-06-01T00:00:00Z', link: 'https://example.com/iris-v1', after_sunset: 'refuse' } },
    description:
      "Version -> its deprecation, replacing config.json's for that version whole (`{}` takes it away); versions not named keep " +
      "config.json's. sha256 is refused: it is read from config.json only",
  })
  declare versions: Record<string, DeprecationConfig>;
}
