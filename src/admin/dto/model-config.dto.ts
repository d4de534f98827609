import { ApiPropertyOptional } from '@nestjs/swagger';
import { ModelOverrides } from '../../model-registry/model-config';

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
}
