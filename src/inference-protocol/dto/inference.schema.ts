import { compileGate } from '../../common/validation/schema-gate';
import { V2_DATATYPES } from '../datatypes';
import { MAX_DIMENSION } from '../tensor-shape';

/** Most tensors one request may name (inputs, and requested outputs): far beyond any real model. */
export const MAX_TENSORS_PER_REQUEST = 1024;
/** Most dimensions of one tensor's shape. */
export const MAX_TENSOR_RANK = 64;
/** Most keys of one `parameters` object. */
export const MAX_PARAMETERS = 64;

// `null` is accepted wherever the DTO says @IsOptional(): class-validator skips null as it skips undefined.
// The bounds are repeated from the limits below so that a request over them is never "valid".
const OPTIONAL_PARAMETERS = {
  type: ['object', 'null'],
  maxProperties: MAX_PARAMETERS,
  additionalProperties: { type: ['string', 'number', 'boolean'] },
};
const OPTIONAL_STRING = { type: ['string', 'null'] };

const INPUT = {
  type: 'object',
  required: ['name', 'shape', 'datatype'],
  additionalProperties: false,
  properties: {
    name: { type: 'string', minLength: 1 },
    shape: { type: 'array', maxItems: MAX_TENSOR_RANK, items: { type: 'integer', minimum: 0, maximum: MAX_DIMENSION } },
    datatype: { enum: V2_DATATYPES },
    parameters: OPTIONAL_PARAMETERS,
    // Only "is an array": the elements are checked against the model's datatype while decoding, once.
    data: { type: ['array', 'null'] },
  },
};

const OUTPUT = {
  type: 'object',
  required: ['name'],
  additionalProperties: false,
  properties: { name: { type: 'string', minLength: 1 }, parameters: OPTIONAL_PARAMETERS },
};

/** V2InferenceRequestDto as a compiled schema: the same rules, checked without reflection. */
export const isValidInferenceRequest = compileGate({
  type: 'object',
  required: ['inputs'],
  additionalProperties: false,
  properties: {
    id: OPTIONAL_STRING,
    parameters: OPTIONAL_PARAMETERS,
    inputs: { type: 'array', maxItems: MAX_TENSORS_PER_REQUEST, items: INPUT },
    outputs: { type: ['array', 'null'], maxItems: MAX_TENSORS_PER_REQUEST, items: OUTPUT },
    model_name: OPTIONAL_STRING,
    model_version: OPTIONAL_STRING,
  },
});

const BOUNDED_PARAMETERS = { maxProperties: MAX_PARAMETERS };

/** Counts bounded before any per-element validation (see enforceLimits). */
export const withinInferenceRequestLimits = compileGate({
  properties: {
    parameters: BOUNDED_PARAMETERS,
    inputs: {
      maxItems: MAX_TENSORS_PER_REQUEST,
      items: { properties: { shape: { maxItems: MAX_TENSOR_RANK }, parameters: BOUNDED_PARAMETERS } },
    },
    outputs: { maxItems: MAX_TENSORS_PER_REQUEST, items: { properties: { parameters: BOUNDED_PARAMETERS } } },
  },
});
