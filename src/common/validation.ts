import { ValidationPipe } from '@nestjs/common';
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
