import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsArray,
  IsIn,
  IsNotEmpty,
  IsOptional,
  IsString,
  ValidateBy,
  ValidateNested,
  type ValidationOptions,
} from 'class-validator';
import { V2_DATATYPES, type V2DataType } from '../datatypes';
import { quoted } from '../../common/errors/quoted';
import { jsonShapeProblem } from '../tensor-shape';

/** The protocol's $parameters: an object whose values are strings, numbers or booleans. */
export type Parameters = Record<string, string | number | boolean>;

function IsParameters(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isParameters',
      validator: {
        validate: (value: unknown) => typeof value === 'object' && value !== null && !Array.isArray(value) && firstBadParameter(value) === undefined,
        // The key whose value is wrong is named: a parameters object may hold any key, "prototype" or "constructor" too.
        defaultMessage: (args) => {
          const bad = typeof args?.value === 'object' && args.value !== null && !Array.isArray(args.value) ? firstBadParameter(args.value) : undefined;
          return `$property must be an object whose values are strings, numbers or booleans${bad === undefined ? '' : ` (${quoted(bad, 100)} is not)`}`;
        },
      },
    },
    options,
  );
}

/** Each dimension by the rule of tensor-shape.ts, the message naming the first one that breaks it. */
function IsTensorShape(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isTensorShape',
      validator: {
        // Not an array: @IsArray says so.
        validate: (value: unknown) => !Array.isArray(value) || jsonShapeProblem(value) === undefined,
        defaultMessage: (args) => jsonShapeProblem(args?.value as unknown[]) ?? '',
      },
    },
    options,
  );
}

function firstBadParameter(parameters: object): string | undefined {
  return Object.entries(parameters).find(([, member]) => !['string', 'number', 'boolean'].includes(typeof member))?.[0];
}

const PARAMETERS_DOC = {
  type: 'object' as const,
  additionalProperties: { oneOf: [{ type: 'string' }, { type: 'number' }, { type: 'boolean' }] },
};

export class V2RequestInputDto {
  @ApiProperty({ example: 'input', description: 'The model input this tensor feeds' })
  @IsString()
  @IsNotEmpty()
  name!: string;

  @ApiProperty({
    type: 'integer',
    isArray: true,
    example: [1, 4],
    description: "The tensor's full shape (batch included); each fixed dimension of the model's input must match",
  })
  @IsArray()
  @IsTensorShape()
  shape!: number[];

  @ApiProperty({ enum: V2_DATATYPES, example: 'FP32', description: "Must be the model input's datatype" })
  @IsIn(V2_DATATYPES)
  datatype!: V2DataType;

  @ApiPropertyOptional({
    ...PARAMETERS_DOC,
    description:
      'binary_data_size (binary tensor data extension): the tensor is sent as that many raw bytes after the JSON header instead of in "data"',
  })
  @IsOptional()
  @IsParameters()
  parameters?: Parameters;

  @ApiPropertyOptional({
    type: 'array',
    items: {},
    example: [5.1, 3.5, 1.4, 0.2],
    description:
      'The elements in row-major order, flat or nested as the shape; numbers, true/false for BOOL, strings for BYTES. ' +
      'INT64/UINT64 also take decimal strings for values beyond 2^53. Absent when binary_data_size is given.',
  })
  @IsOptional()
  @IsArray()
  data?: unknown[];
}

export class V2RequestOutputDto {
  @ApiProperty({ example: 'probabilities' })
  @IsString()
  @IsNotEmpty()
  name!: string;

  @ApiPropertyOptional({
    ...PARAMETERS_DOC,
    example: { binary_data: false },
    description: 'binary_data: true returns this output as raw bytes after the JSON header (overrides binary_data_output)',
  })
  @IsOptional()
  @IsParameters()
  parameters?: Parameters;
}

export class V2InferenceRequestDto {
  @ApiPropertyOptional({ example: '42', description: 'Echoed in the response' })
  @IsOptional()
  @IsString()
  id?: string;

  @ApiPropertyOptional({
    ...PARAMETERS_DOC,
    description: 'binary_data_output: true returns every output as raw bytes unless an output says otherwise',
  })
  @IsOptional()
  @IsParameters()
  parameters?: Parameters;

  @ApiProperty({ type: [V2RequestInputDto], description: 'One tensor per model input' })
  @IsArray()
  @ValidateNested({ each: true })
  @Type(() => V2RequestInputDto)
  inputs!: V2RequestInputDto[];

  @ApiPropertyOptional({
    type: [V2RequestOutputDto],
    description: "Which outputs to return, in this order; absent: every output, in the model's order",
  })
  @IsOptional()
  @IsArray()
  @ValidateNested({ each: true })
  @Type(() => V2RequestOutputDto)
  outputs?: V2RequestOutputDto[];

  // Triton's own examples put these in the body; the URL names the model and version, so they are accepted and ignored.
  @ApiPropertyOptional({ description: 'Ignored: the URL names the model' })
  @IsOptional()
  @IsString()
  model_name?: string;

  @ApiPropertyOptional({ description: 'Ignored: the URL or X-Model-Version names the version' })
  @IsOptional()
  @IsString()
  model_version?: string;
}

export class V2ResponseOutputDto {
  @ApiProperty({ example: 'probabilities' })
  name!: string;

  @ApiProperty({ enum: V2_DATATYPES, example: 'FP32' })
  datatype!: V2DataType;

  @ApiProperty({ type: 'integer', isArray: true, example: [1, 3] })
  shape!: number[];

  @ApiPropertyOptional({
    ...PARAMETERS_DOC,
    description: 'binary_data_size when this output is sent as raw bytes after the JSON header (then there is no "data")',
  })
  parameters?: Parameters;

  @ApiPropertyOptional({
    type: 'array',
    items: {},
    example: [0.9783977270126343, 0.021602246910333633, 5.522737467344996e-8],
    description:
      'Flat, row-major. 64-bit integers are exact JSON numbers (beyond 2^53 too); NaN and ±Infinity are the strings "NaN", "Infinity", "-Infinity".',
  })
  data?: unknown[];
}

export class V2InferenceResponseDto {
  @ApiProperty({ example: 'iris' })
  model_name!: string;

  @ApiProperty({ example: '1', description: 'The version that served the request (also in the X-Model-Version header)' })
  model_version!: string;

  @ApiPropertyOptional({ example: '42', description: "The request's id, when it had one" })
  id?: string;

  @ApiPropertyOptional(PARAMETERS_DOC)
  parameters?: Parameters;

  @ApiProperty({ type: [V2ResponseOutputDto] })
  outputs!: V2ResponseOutputDto[];
}

export class V2ErrorDto {
  @ApiProperty({ example: 'input "input": data has 3 elements, but shape [1, 4] needs 4' })
  error!: string;
}
