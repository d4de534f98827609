import { ValidationPipe } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { InvalidInputError } from './domain-error';
import { describeValidationErrors } from './validation-errors';

/**
 * The one way request DTOs are validated: unknown fields refused, values
 * transformed to their declared types, every problem reported as a 422 that
 * names the field.
 */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    exceptionFactory: (errors) => new InvalidInputError(describeValidationErrors(errors)),
  });
}

/**
 * Validates a value against a DTO whose fields are not nested DTOs,
 * synchronously, on the hot path of the predict routes. With `convert`,
 * class-transformer applies the DTO's conversions (query strings to numbers);
 * without, the value is taken as it is: plainToInstance deep-copies every
 * element of large arrays (a 28x28 image per instance), which profiling
 * showed as a fifth of the predict path. Same rules, same messages as the pipe.
 */
export function validateFlatDto<T extends object>(
  cls: new () => T,
  body: unknown,
  options: { convert?: boolean; what?: string } = {},
): T {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new InvalidInputError([`${options.what ?? 'request body'} must be a JSON object`]);
  }
  const instance = options.convert ? plainToInstance(cls, body) : Object.assign(new cls(), body);
  const errors = validateSync(instance, { whitelist: true, forbidNonWhitelisted: true });
  if (errors.length > 0) throw new InvalidInputError(describeValidationErrors(errors));
  return instance;
}
