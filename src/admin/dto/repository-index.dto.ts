import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { VERSION_STATES, type VersionState } from '../../model-registry/model-version';

/** One model version in the Open Inference Protocol's repository index. */
export class RepositoryIndexEntryDto {
  @ApiProperty({ example: 'iris' })
  name!: string;

  @ApiProperty({ example: '1' })
  version!: string;

  @ApiProperty({ enum: VERSION_STATES, example: 'AVAILABLE', description: 'AVAILABLE: not loaded; its first request (or a load) loads it' })
  state!: VersionState;

  @ApiProperty({ example: '', description: 'Why the version is FAILED or UNAVAILABLE; empty otherwise' })
  reason!: string;
}

export class RepositoryIndexRequestDto {
  @ApiPropertyOptional({ example: false, description: 'true: only READY versions' })
  ready?: boolean;
}
