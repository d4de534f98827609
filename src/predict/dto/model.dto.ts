import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { VERSION_STATES, type VersionState } from '../../model-registry/model-version';

export class VersionSummaryDto {
  @ApiProperty({ example: 1 })
  version!: number;

  @ApiProperty({ enum: VERSION_STATES, example: 'READY' })
  state!: VersionState;

  @ApiPropertyOptional({ description: 'Why the version is FAILED or UNAVAILABLE' })
  reason?: string;
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

  @ApiPropertyOptional({ description: 'Why the model-level config.json could not be used' })
  config_error?: string;
}

export class ModelListDto {
  @ApiProperty({ type: [ModelSummaryDto] })
  models!: ModelSummaryDto[];
}

export class TensorSpecDto {
  @ApiProperty({ example: 'input' })
  name!: string;

  @ApiProperty({ example: 'float32' })
  datatype!: string;

  @ApiProperty({ example: [-1, 4], description: 'Dimensions; -1 is dynamic (the batch dimension, usually)' })
  shape!: number[];
}

export class ModelMetadataDto {
  @ApiProperty({ example: 'iris' })
  model!: string;

  @ApiProperty({ example: 1 })
  version!: number;

  @ApiProperty({ example: 'classification' })
  task!: string;

  @ApiPropertyOptional({ example: 'Iris species from flower measurements (cm)' })
  description?: string;

  @ApiProperty({ type: [TensorSpecDto] })
  inputs!: TensorSpecDto[];

  @ApiProperty({ type: [TensorSpecDto] })
  outputs!: TensorSpecDto[];

  @ApiPropertyOptional({ example: ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'] })
  features?: string[];

  @ApiPropertyOptional({ example: ['setosa', 'versicolor', 'virginica'] })
  labels?: string[];

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, example: { accuracy: 0.97 } })
  evaluation?: Record<string, unknown>;

  @ApiProperty({ description: 'SHA-256 of model.onnx, to tell replicas and versions apart' })
  sha256!: string;
}
