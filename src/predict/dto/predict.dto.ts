import { ApiExtraModels, ApiProperty, ApiPropertyOptional, getSchemaPath } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMinSize, IsArray, IsInt, IsOptional, Max, Min } from 'class-validator';

export class PredictQueryDto {
  @ApiPropertyOptional({
    description:
      'Answer the k most probable classes per instance, best first (capped at the number of classes). ' +
      'Image models answer the top 5 when it is absent.',
    minimum: 1,
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100_000)
  top_k?: number;
}

export class PredictRequestDto {
  @ApiProperty({
    description:
      'One to MAX_INSTANCES instances, run as one batched inference. An instance is an object of named features ' +
      'when the model names them (see GET /v1/models/{name}), a numeric array matching the input shape without ' +
      'its batch dimension, or, for models with several inputs, an object keyed by input name.',
    type: 'array',
    items: { oneOf: [{ type: 'object', additionalProperties: { type: 'number' } }, { type: 'array', items: {} }] },
    example: [
      { sepal_length: 5.1, sepal_width: 3.5, petal_length: 1.4, petal_width: 0.2 },
      { sepal_length: 6.7, sepal_width: 3.0, petal_length: 5.2, petal_width: 2.3 },
    ],
  })
  @IsArray()
  @ArrayMinSize(1, { message: 'instances must contain at least 1 instance' })
  instances!: unknown[];
}

export class ClassPredictionDto {
  @ApiProperty({ example: 0 })
  class_id!: number;

  @ApiProperty({ example: 'setosa' })
  label!: string;

  @ApiProperty({ example: 0.97, description: 'Probability of the predicted class' })
  confidence!: number;

  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'number' },
    example: { setosa: 0.97, versicolor: 0.03, virginica: 0.0 },
    description: 'Probability of every class, by label',
  })
  probabilities!: Record<string, number>;
}

export class RankedClassDto {
  @ApiProperty({ example: '7' })
  label!: string;

  @ApiProperty({ example: 7 })
  class_id!: number;

  @ApiProperty({ example: 0.994 })
  probability!: number;
}

/** An image classifier's answer when the request asks for `top_k`. */
export class TopKPredictionDto {
  @ApiProperty({ type: [RankedClassDto], description: 'The k most probable classes, best first (ties: lower class id first)' })
  top_k!: RankedClassDto[];
}

/** A model that is not a classifier: each output's row for this instance, nested by the output's shape. */
export class TensorPredictionDto {
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    example: { variable: [0.25, 1.5] },
    description: 'Output name -> this instance\'s values (int64 beyond 2^53 as decimal strings)',
  })
  outputs!: Record<string, unknown>;
}

@ApiExtraModels(ClassPredictionDto, TopKPredictionDto, TensorPredictionDto)
export class PredictResponseDto {
  @ApiProperty({ example: 'iris' })
  model!: string;

  @ApiProperty({ example: 1, description: 'The version that served the request (also in the X-Model-Version header)' })
  version!: number;

  @ApiProperty({
    type: 'array',
    items: {
      oneOf: [
        { $ref: getSchemaPath(ClassPredictionDto) },
        { $ref: getSchemaPath(TopKPredictionDto) },
        { $ref: getSchemaPath(TensorPredictionDto) },
      ],
    },
    description:
      'One entry per instance, in request order: a class prediction for classifiers (the top_k classes when asked), ' +
      'otherwise every output\'s values for the instance',
    example: [{ class_id: 0, label: 'setosa', confidence: 0.97, probabilities: { setosa: 0.97, versicolor: 0.03, virginica: 0.0 } }],
  })
  predictions!: (ClassPredictionDto | TopKPredictionDto | TensorPredictionDto)[];
}
