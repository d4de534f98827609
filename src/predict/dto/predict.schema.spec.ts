import { describe, expect, it } from 'vitest';
import { DomainError } from '../../common/errors/domain-error';
import { validateFlatDto } from '../../common/validation/dto-validation';
import { type Json, mutationsOf, PROTOTYPE_MEMBER_KEYS } from '../../../test/support/json-mutations';
import { PredictRequestDto } from './predict.dto';
import { isValidPredictRequest } from './predict.schema';

function outcomeOf(run: () => unknown): { ok: boolean; message?: string; crashed?: boolean } {
  try {
    run();
    return { ok: true };
  } catch (error) {
    return error instanceof DomainError ? { ok: false, message: error.message } : { ok: false, crashed: true };
  }
}

describe('the /v1 predict body: compiled schema in front of PredictRequestDto', () => {
  const bodies = [
    ...mutationsOf([{ instances: [[5.1, 3.5, 1.4, 0.2]] }, { instances: [{ sepal_length: 5.1 }, [1, 2]] }]),
    { constructor: null },
    { constructor: 1, instances: [[1]] },
  ] as Json[];

  it('answers every generated body as class-validator alone did, and what it crashed on or missed as a 422 naming the key', () => {
    for (const body of bodies) {
      const label = JSON.stringify(body);
      const before = outcomeOf(() => validateFlatDto(PredictRequestDto, body));
      const now = outcomeOf(() => validateFlatDto(PredictRequestDto, body, { gate: isValidPredictRequest }));
      expect(now.crashed, label).toBeFalsy();
      const prototypeKey = Object.keys(body ?? {}).find((key) => PROTOTYPE_MEMBER_KEYS.includes(key));
      if (before.crashed) {
        expect(now, label).toMatchObject({ ok: false, message: expect.stringMatching(/should not exist|must/) });
      } else if (before.ok && prototypeKey) {
        expect(now, label).toEqual({ ok: false, message: `${prototypeKey}: property ${prototypeKey} should not exist` });
      } else {
        expect(now, label).toEqual(before);
      }
    }
  });

  it('refuses an empty list and a missing one with the DTO messages', () => {
    expect(() => validateFlatDto(PredictRequestDto, { instances: [] }, { gate: isValidPredictRequest })).toThrow(
      'instances must contain at least 1 instance',
    );
    expect(() => validateFlatDto(PredictRequestDto, {}, { gate: isValidPredictRequest })).toThrow(/instances must be an array/);
  });
});
