import { IsInt, IsOptional } from 'class-validator';
import { describe, expect, it } from 'vitest';
import { refusal } from '../../../test/support/refusal';
import { PredictQueryDto, PredictRequestDto } from '../../predict/dto/predict.dto';
import { isValidPredictRequest } from '../../predict/dto/predict.schema';
import { validateFlatDto } from './dto-validation';

class CountDto {
  @IsOptional()
  @IsInt()
  count?: number;
}

const PROTOTYPE_NAMES = ['constructor', 'toString', 'hasOwnProperty', 'valueOf', 'isPrototypeOf', '__defineGetter__', 'prototype', '__proto__'];

describe('validateFlatDto', () => {
  it.each(PROTOTYPE_NAMES)('refuses an unknown key named %s by its name, never as "undefined"', (key) => {
    const body = JSON.parse(`{"${key}": 1}`) as object;
    const error = refusal(() => validateFlatDto(CountDto, body));
    expect(error.details).toEqual([`${key}: property ${key} should not exist`]);
    expect(error.message).not.toContain('undefined');
  });

  it.each(PROTOTYPE_NAMES)('names the key %s in a gated /v1 predict body too, with the other problems', (key) => {
    const body = JSON.parse(`{"${key}": 1}`) as object;
    const error = refusal(() => validateFlatDto(PredictRequestDto, body, { gate: isValidPredictRequest }));
    expect(error.details[0]).toBe(`${key}: property ${key} should not exist`);
    expect(error.message).toContain('instances must be an array');
    expect(error.message).not.toContain('undefined');
  });

  it('refuses an unknown key beside valid fields, and takes a valid body with its values', () => {
    expect(refusal(() => validateFlatDto(CountDto, { count: 2, valueOf: 1 })).message).toBe('valueOf: property valueOf should not exist');
    expect(validateFlatDto(CountDto, { count: 2 })).toMatchObject({ count: 2 });
    expect(validateFlatDto(PredictQueryDto, { top_k: '3' }, { convert: true })).toMatchObject({ top_k: 3 });
    expect(refusal(() => validateFlatDto(PredictQueryDto, { constructor: 'x', top_k: '3' }, { convert: true })).message).toBe(
      'constructor: property constructor should not exist',
    );
  });
});
