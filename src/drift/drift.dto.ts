import { ApiExtraModels, ApiProperty, ApiPropertyOptional, getSchemaPath } from '@nestjs/swagger';

const VERDICTS = ['stable', 'moderate', 'significant', 'no_data'];

/** One compared distribution: a feature's bins, or the predicted classes. */
export class DriftDistributionDto {
  @ApiProperty({
    type: Number,
    nullable: true,
    example: 0.0612,
    description: 'Population stability index of the live window against the reference (each smoothed by half an instance per bin); null while the window is empty',
  })
  psi!: number | null;

  @ApiProperty({
    type: Number,
    nullable: true,
    example: 0.2024,
    description:
      'The PSI that sampling noise alone stays below in 99% of windows of this size with no drift (the reference size counts too): ' +
      'chi-squared(bins - 1, 0.99) * (1/instances + 1/reference_instances). A PSI below it is called stable',
  })
  noise_psi!: number | null;

  @ApiProperty({
    enum: VERDICTS,
    example: 'stable',
    description: 'stable: PSI < 0.1 or within noise_psi; moderate: 0.1 <= PSI < 0.25; significant: PSI >= 0.25; no_data: empty window',
  })
  verdict!: string;

  @ApiProperty({ example: 1000, description: 'Live instances counted in these bins (the window, without values that have no bin, such as NaN)' })
  instances!: number;

  @ApiProperty({ example: 120, description: 'Instances of the reference (the training data)' })
  reference_instances!: number;

  @ApiProperty({ type: [Number], description: 'Reference fraction per bin (raw, unsmoothed)' })
  reference!: number[];

  @ApiProperty({ type: [Number], description: 'Live fraction per bin (raw, unsmoothed; all 0 while the window is empty)' })
  live!: number[];

  @ApiProperty({ type: [Number], description: 'Live instances per bin' })
  counts!: number[];
}

export class FeatureDriftDto extends DriftDistributionDto {
  @ApiProperty({
    type: [Number],
    example: [4.85, 5.05, 5.25, 5.55, 5.75, 6.05, 6.35, 6.6, 6.95],
    description: 'Cut points between the bins: bin i holds edges[i-1] < value <= edges[i] (deciles of the training data)',
  })
  edges!: number[];
}

export class PredictionDriftDto extends DriftDistributionDto {
  @ApiProperty({ example: ['setosa', 'versicolor', 'virginica'], description: 'The class of each bin' })
  labels!: string[];
}

export class DriftThresholdsDto {
  @ApiProperty({ example: 0.1 })
  moderate!: number;

  @ApiProperty({ example: 0.25 })
  significant!: number;

  @ApiProperty({ example: 0.99, description: 'The quantile of the no-drift PSI that noise_psi is' })
  noise_quantile!: number;
}

@ApiExtraModels(FeatureDriftDto)
export class DriftReportDto {
  @ApiProperty({ example: 'iris' })
  model!: string;

  @ApiProperty({ example: 1 })
  version!: number;

  @ApiPropertyOptional({ description: "What the reference was taken from (the manifest's drift.reference)" })
  reference?: string;

  @ApiProperty({ example: 1000, description: 'Size of the sliding window: the last this many instances the version answered, per HTTP process' })
  window!: number;

  @ApiProperty({ example: 1000, description: 'Instances in the window now, summed over the HTTP processes of the pod' })
  instances!: number;

  @ApiProperty({ example: 2, description: 'HTTP processes whose windows are summed (HTTP_PROCESSES)' })
  processes!: number;

  @ApiProperty({ type: DriftThresholdsDto })
  thresholds!: DriftThresholdsDto;

  @ApiProperty({
    type: 'object',
    additionalProperties: { $ref: getSchemaPath(FeatureDriftDto) },
    description: 'Per feature named in the drift reference (empty for models with none, such as image models)',
  })
  features!: Record<string, FeatureDriftDto>;

  @ApiPropertyOptional({ type: PredictionDriftDto, description: 'The predicted classes (the argmax of the scores), for classifiers' })
  predictions?: PredictionDriftDto;
}
