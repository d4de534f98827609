import { DomainError } from '../common/errors/domain-error';
import { enforceLimits } from '../common/validation/schema-gate';
import { gated, validateNestedDto } from '../common/validation/dto-validation';
import { V2InferenceRequestDto } from './dto/inference.dto';
import { isValidInferenceRequest, withinInferenceRequestLimits } from './dto/inference.schema';

/**
 * The request's structure. A well-formed request passes the compiled schema
 * and is used as it is; anything else is first bounded in size, then checked
 * by the DTO's class-validator rules, which name every problem. Tensor data
 * is left out of what class-validator sees: class-transformer would otherwise
 * walk every element of large tensors, and the schema has checked it is an array.
 */
export function validateInferenceRequest(header: unknown): V2InferenceRequestDto {
  if (!isObject(header)) {
    throw new DomainError('BAD_REQUEST', 'the inference request must be a JSON object with "inputs"');
  }
  return gated<V2InferenceRequestDto>(isValidInferenceRequest, header, () => {
    enforceLimits(withinInferenceRequestLimits, header);
    const inputs = header.inputs;
    const withoutData = Array.isArray(inputs)
      ? { ...header, inputs: inputs.map((input) => (isObject(input) && Array.isArray(input.data) ? { ...input, data: [] } : input)) }
      : header;
    validateNestedDto(V2InferenceRequestDto, withoutData);
  });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
