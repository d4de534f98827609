import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ConfigErrorDto } from '../../model-summary/model-summary.dto';

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

  @ApiProperty({ description: 'SHA-256 (lower-case hex) of the model.onnx this version serves, to tell replicas and versions apart' })
  sha256!: string;

  @ApiPropertyOptional({
    description:
      "SHA-256 the model's config.json declares for this version (`versions.<n>.sha256`), when it declares one; " +
      'a version is served only when it equals `sha256`',
  })
  declared_sha256?: string;

  @ApiPropertyOptional({
    type: () => ConfigErrorDto,
    description: "Present while the model's config.json on disk is refused; this version serves under the last good config",
  })
  config_error?: ConfigErrorDto;
}
