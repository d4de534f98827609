import { ApiProperty } from '@nestjs/swagger';
import { V2_DATATYPES, type V2DataType } from '../datatypes';

export class V2ServerMetadataDto {
  @ApiProperty({ example: 'onnx-model-server' })
  name!: string;

  @ApiProperty({ example: '0.1.0' })
  version!: string;

  @ApiProperty({ type: [String], example: ['binary_tensor_data'] })
  extensions!: string[];
}

export class V2TensorMetadataDto {
  @ApiProperty({ example: 'input' })
  name!: string;

  @ApiProperty({ enum: V2_DATATYPES, example: 'FP32' })
  datatype!: V2DataType;

  @ApiProperty({ type: 'integer', isArray: true, example: [-1, 4], description: '-1 marks a dynamic dimension' })
  shape!: number[];
}

export class V2ModelMetadataDto {
  @ApiProperty({ example: 'iris' })
  name!: string;

  @ApiProperty({ type: [String], example: ['1', '2'], description: 'Every version a request may name: READY, and with MODEL_LOADING=lazy those not loaded yet (its request loads them)' })
  versions!: string[];

  @ApiProperty({ example: 'onnxruntime_onnx' })
  platform!: string;

  @ApiProperty({ type: [V2TensorMetadataDto], description: "The selected version's inputs" })
  inputs!: V2TensorMetadataDto[];

  @ApiProperty({ type: [V2TensorMetadataDto], description: "The selected version's outputs" })
  outputs!: V2TensorMetadataDto[];
}
