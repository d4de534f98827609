import { describe, expect, it } from 'vitest';
import { DomainError, InvalidInputError } from '../common/errors/domain-error';
import { ValidationPipe } from '@nestjs/common';
import { describeValidationErrors } from '../common/validation/validation-errors';
import { V2InferenceRequestDto } from './dto/inference.dto';
import { MAX_PARAMETERS, MAX_TENSOR_RANK, MAX_TENSORS_PER_REQUEST } from './dto/inference.schema';
import { validateInferenceRequest } from './request-validation';

/** class-validator's pipe with the rules the service's compiled schema replaced: the reference it must agree with. */
const classValidatorPipe = new ValidationPipe({
  whitelist: true,
  forbidNonWhitelisted: true,
  transform: true,
  exceptionFactory: (errors) => new InvalidInputError(describeValidationErrors(errors)),
});
import { clone, type Json, mutationsOf, PROTOTYPE_MEMBER_KEYS } from '../../test/support/json-mutations';

const VALID: Json[] = [
  { inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: [5.1, 3.5, 1.4, 0.2] }] },
  {
    id: '42',
    model_name: 'iris',
    model_version: '1',
    parameters: { binary_data_output: true, note: 'x', n: 1 },
    inputs: [
      { name: 'a', shape: [2], datatype: 'INT64', data: [1, '9007199254740993'], parameters: {} },
      { name: 'b', shape: [0], datatype: 'BYTES', parameters: { binary_data_size: 0 } },
    ],
    outputs: [{ name: 'y', parameters: { binary_data: false } }, { name: 'z' }],
  },
  { id: null, parameters: null, outputs: null, inputs: [{ name: 'x', shape: [], datatype: 'BOOL', data: null, parameters: null }] },
];

function* corpus(): Generator<Json> {
  yield* mutationsOf(VALID, [[{ name: 'input', shape: [1], datatype: 'FP32', data: [1] }]]);
  yield* [null, 1, 'x', [], [{}], {}, { inputs: {} }, { inputs: [[]] }, { inputs: [[{ name: 'x' }]] }, { outputs: [[]] }] as Json[];
}

interface Outcome {
  ok: boolean;
  status?: number;
  message?: string;
  crashed?: boolean;
  value?: unknown;
}

function outcomeOf(run: () => unknown): Outcome {
  try {
    return { ok: true, value: run() };
  } catch (error) {
    return error instanceof DomainError ? { ok: false, status: error.status, message: error.message } : { ok: false, crashed: true };
  }
}

/** The validation as it was before the compiled schema: the global pipe's class-validator rules, tensor data set aside. */
async function validatedAsBefore(header: unknown): Promise<Outcome> {
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    return outcomeOf(() => validateInferenceRequest(header));
  }
  const inputs = (header as { inputs?: unknown }).inputs;
  const withoutData = Array.isArray(inputs)
    ? { ...header, inputs: inputs.map((input) => (isObject(input) && Array.isArray(input.data) ? { ...input, data: [] } : input)) }
    : header;
  try {
    await classValidatorPipe.transform(withoutData, { type: 'body', metatype: V2InferenceRequestDto });
    return { ok: true };
  } catch (error) {
    return error instanceof DomainError ? { ok: false, status: error.status, message: error.message } : { ok: false, crashed: true };
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Keys class-validator cannot see, outside `parameters` (whose keys are free). */
function hasPrototypeNamedKey(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return false;
  return Object.entries(value).some(
    ([key, member]) => PROTOTYPE_MEMBER_KEYS.includes(key) || (key !== 'parameters' && hasPrototypeNamedKey(member)),
  );
}

/** Arrays directly inside `inputs` or `outputs`, which class-validator's nested validation walks into instead of refusing. */
function hasNestedTensorArray(value: unknown): boolean {
  if (!isObject(value)) return false;
  return [value.inputs, value.outputs].some((list) => Array.isArray(list) && list.some((item) => Array.isArray(item)));
}

describe('validateInferenceRequest (compiled schema in front of the DTO)', () => {
  const bodies = [...corpus()];

  it('is given a corpus of well over a thousand generated bodies', () => {
    expect(bodies.length).toBeGreaterThan(1000);
  });

  it('answers every generated body as the class-validator pipe did: same acceptance, same status, same message', async () => {
    let refused = 0;
    for (const body of bodies) {
      const before = await validatedAsBefore(body);
      const now = outcomeOf(() => validateInferenceRequest(body));
      const label = JSON.stringify(body);
      expect(now.crashed, label).toBeFalsy();
      if (before.crashed || (before.ok && (hasPrototypeNamedKey(body) || hasNestedTensorArray(body)))) {
        // What the pipe crashed on or let through unnoticed is now a 422 that names the field.
        expect(now, label).toMatchObject({ ok: false, status: 422 });
        expect(now.message, label).toMatch(/should not exist|must/);
        continue;
      }
      expect({ ok: now.ok, status: now.status, message: now.message }, label).toEqual({
        ok: before.ok,
        status: before.status,
        message: before.message,
      });
      if (!now.ok) refused++;
    }
    // The corpus exercises refusals far more than acceptances; a gate refusing nothing would fail above.
    expect(refused).toBeGreaterThan(bodies.length / 2);
  });

  it.each<[unknown[], string]>([
    [[2 ** 62, 4], 'inputs[0].shape: dimension 0 is larger than 9007199254740991, the largest integer a JSON number carries exactly here'],
    [[1, 9007199254740992], 'inputs[0].shape: dimension 1 is larger than 9007199254740991'],
    [[-3, 4], 'inputs[0].shape: dimension 0 is -3; a dimension must be an integer from 0 to 9007199254740991'],
    [[1.5, 4], 'inputs[0].shape: dimension 0 is 1.5; a dimension must be an integer from 0 to 9007199254740991'],
  ])('refuses shape %j naming the dimension, never a rounded value', (shape, expected) => {
    const refusal = outcomeOf(() => validateInferenceRequest({ inputs: [{ name: 'x', shape, datatype: 'FP32', data: [1] }] }));
    expect(refusal).toMatchObject({ ok: false, status: 422 });
    expect(refusal.message).toContain(expected);
    expect(refusal.message).not.toMatch(/4611686018427388000|9007199254740992/);
  });

  it('returns the request with its tensor data intact', () => {
    const body = VALID[1] as { inputs: { data?: unknown }[] };
    const request = validateInferenceRequest(clone(body as Json));
    expect(request.inputs[0].data).toEqual(body.inputs[0].data);
    expect(request).toEqual(body);
  });

  it('refuses a named prototype member key with a message naming it, where the pipe let it through', () => {
    expect(() =>
      validateInferenceRequest({ toString: 2, inputs: [{ name: 'x', shape: [1], datatype: 'FP32', data: [1] }] }),
    ).toThrow('toString: property toString should not exist');
    expect(() => validateInferenceRequest({ inputs: [[{ name: 'x', shape: [1], datatype: 'FP32', data: [1] }]] })).toThrow(
      /inputs\[0\]/,
    );
  });

  describe('bounds counts before validating elements', () => {
    const input = { name: 'x', shape: [1], datatype: 'FP32', data: [1] };

    it('refuses 350,000 empty inputs by their count, naming the bound and the count', () => {
      const body = { inputs: Array.from({ length: 350_000 }, () => ({})) };
      expect(() => validateInferenceRequest(body)).toThrow(
        `inputs must NOT have more than ${MAX_TENSORS_PER_REQUEST} items, got 350000`,
      );
    });

    it('refuses too many outputs, dimensions and parameters', () => {
      const outputs = Array.from({ length: MAX_TENSORS_PER_REQUEST + 1 }, () => ({ name: 'y' }));
      expect(() => validateInferenceRequest({ inputs: [{}], outputs })).toThrow(/^outputs must NOT have more than 1024 items/);
      const shape = Array.from({ length: MAX_TENSOR_RANK + 1 }, () => 'x');
      expect(() => validateInferenceRequest({ inputs: [{ ...input, shape }] })).toThrow(
        `inputs[0].shape must NOT have more than ${MAX_TENSOR_RANK} items, got ${MAX_TENSOR_RANK + 1}`,
      );
      const parameters = Object.fromEntries(Array.from({ length: MAX_PARAMETERS + 1 }, (_, i) => [`p${i}`, []]));
      expect(() => validateInferenceRequest({ parameters, inputs: [input] })).toThrow(
        `parameters must NOT have more than ${MAX_PARAMETERS} properties, got ${MAX_PARAMETERS + 1}`,
      );
    });

    it('accepts a valid request of exactly the bounds', () => {
      const inputs = Array.from({ length: MAX_TENSORS_PER_REQUEST }, (_, i) => ({ ...input, name: `x${i}` }));
      expect(validateInferenceRequest({ inputs }).inputs).toHaveLength(MAX_TENSORS_PER_REQUEST);
    });
  });
});
