import { ApiExtraModels, ApiProperty, ApiPropertyOptional, getSchemaPath } from '@nestjs/swagger';

export class ShadowAgreementDto {
  @ApiProperty({ example: 118, description: 'Compared rows (instances) on which both versions agree' })
  agree!: number;

  @ApiProperty({ example: 120, description: 'Compared rows with class scores or labels (0 for a model that is not a classifier)' })
  total!: number;

  @ApiProperty({ type: Number, nullable: true, example: 0.9833, description: 'agree / total; null while total is 0' })
  rate!: number | null;

  @ApiProperty({
    type: [Number],
    nullable: true,
    example: [0.9413, 0.9954],
    description: 'The 95% Wilson score interval of the rate (right near 0 and 1 and for small samples); null while total is 0',
  })
  interval95!: [number, number] | null;
}

export class ShadowTopKAgreementDto extends ShadowAgreementDto {
  @ApiProperty({ type: Number, nullable: true, example: 2, description: 'Classes compared as a set; null until a row with class scores is compared' })
  k!: number | null;
}

export class ShadowRequestsDto {
  @ApiProperty({ example: 120, description: 'Sampled requests whose answers were compared' })
  compared!: number;

  @ApiProperty({ example: 0, description: 'The shadow answered, but its outputs differ in names or shapes, or it takes other inputs' })
  incomparable!: number;

  @ApiProperty({ example: 0, description: "The shadow's inference failed" })
  failed!: number;

  @ApiProperty({ example: 0, description: 'The shadow version does not exist (an unknown label or number) or is not READY' })
  unavailable!: number;

  @ApiProperty({ example: 0, description: "The shadow's queue was full: not run" })
  dropped!: number;
}

export class ShadowLargestDifferenceDto {
  @ApiProperty({ type: String, nullable: true, example: '7f3c2a9e-...', description: 'The request id (X-Request-Id) of the request' })
  request_id!: string | null;

  @ApiProperty({ example: 0, description: 'The instance (row) of the request' })
  instance!: number;

  @ApiProperty({ example: 0.41, description: 'Largest |served - shadow| over the row' })
  absolute!: number;

  @ApiProperty({ example: 0.45, description: 'absolute over the largest magnitude of the row (served or shadow); 0 to 2' })
  relative!: number;
}

export class ShadowOutputDifferenceDto {
  @ApiProperty({ example: 120, description: 'Compared rows of this output' })
  rows!: number;

  @ApiProperty({ example: 0.41 })
  max_absolute!: number;

  @ApiProperty({ type: Number, nullable: true, example: 0.02, description: 'null while rows is 0' })
  mean_absolute!: number | null;

  @ApiProperty({ example: 0.45 })
  max_relative!: number;

  @ApiProperty({ type: Number, nullable: true, example: 0.03 })
  mean_relative!: number | null;

  @ApiProperty({ type: [ShadowLargestDifferenceDto], description: 'The largest differences (by absolute), largest first, at most 10 per HTTP process' })
  largest!: ShadowLargestDifferenceDto[];
}

export class ShadowFiguresDto {
  @ApiProperty({ type: ShadowRequestsDto, description: 'Sampled requests by what became of them' })
  requests!: ShadowRequestsDto;

  @ApiProperty({ example: 120, description: 'Rows (instances) compared: the sample size' })
  rows!: number;

  @ApiProperty({ type: ShadowAgreementDto, description: 'Agreement of the top-1 class (classifiers, and models answering one label per row)' })
  top1!: ShadowAgreementDto;

  @ApiProperty({ type: ShadowTopKAgreementDto, description: 'Agreement of the set of the k best classes (classifiers)' })
  topk!: ShadowTopKAgreementDto;
}

@ApiExtraModels(ShadowOutputDifferenceDto)
export class ShadowComparisonDto extends ShadowFiguresDto {
  @ApiProperty({ example: 1, description: 'The version that served the requests (their answers went to the clients)' })
  serving_version!: number;

  @ApiProperty({ oneOf: [{ type: 'integer' }, { type: 'string' }], example: 2, description: 'The version that shadowed them, or the label that named none' })
  shadow_version!: number | string;

  @ApiProperty({
    type: 'object',
    additionalProperties: { $ref: getSchemaPath(ShadowOutputDifferenceDto) },
    description: "Per numeric output (a classifier's scores included; label outputs compare as top1 instead)",
  })
  outputs!: Record<string, ShadowOutputDifferenceDto>;
}

export class ShadowSettingsDto {
  @ApiProperty({ oneOf: [{ type: 'integer' }, { type: 'string' }], example: 2, description: 'As configured: a version number or a label' })
  version!: number | string;

  @ApiProperty({ example: 0.1 })
  sample!: number;

  @ApiPropertyOptional({ example: 2 })
  top_k?: number;

  @ApiProperty({ example: 64, description: 'Sampled requests that may wait for the shadow, per HTTP process' })
  queue_size!: number;
}

export class ShadowReportDto extends ShadowFiguresDto {
  @ApiProperty({ example: 'iris' })
  model!: string;

  @ApiProperty({ type: ShadowSettingsDto, description: 'The shadow config in force' })
  shadow!: ShadowSettingsDto;

  @ApiProperty({ type: Number, nullable: true, example: 2, description: 'The version the shadow names now; null when no version has that number or label' })
  shadow_version!: number | null;

  @ApiProperty({ format: 'date-time', description: 'When the shadow config in force applied: the figures count from then (the earliest of the HTTP processes)' })
  since!: string;

  @ApiProperty({ example: 2, description: 'HTTP processes whose figures are added up (HTTP_PROCESSES)' })
  processes!: number;

  @ApiProperty({ type: [ShadowComparisonDto], description: 'The same figures per pair of serving and shadow version (a canary split, or a label re-pointed, makes several)' })
  comparisons!: ShadowComparisonDto[];
}
