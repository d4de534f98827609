import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsObject, IsOptional, Min } from 'class-validator';

export class ModelConfigDto {
  @ApiPropertyOptional({ example: 2, description: 'Version served when a request names none and no weights apply' })
  @IsOptional()
  @IsInt()
  @Min(1)
  default_version?: number;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'integer' },
    example: { stable: 1, canary: 2 },
    description: 'Label -> version',
  })
  @IsOptional()
  @IsObject()
  labels?: Record<string, number>;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'number' },
    example: { '1': 90, '2': 10 },
    description: 'Version -> share of the requests that name no version (canary split)',
  })
  @IsOptional()
  @IsObject()
  weights?: Record<string, number>;
}
