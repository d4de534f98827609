import { compileGate } from '../../common/validation/schema-gate';

/** PredictRequestDto's envelope as a compiled schema; the instances themselves are checked against the model. */
export const isValidPredictRequest = compileGate({
  type: 'object',
  required: ['instances'],
  additionalProperties: false,
  properties: { instances: { type: 'array', minItems: 1 } },
});

