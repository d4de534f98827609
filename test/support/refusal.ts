import { InvalidInputError } from '../../src/common/errors/domain-error';

/** The InvalidInputError `run` throws (any other outcome fails the test). */
export function refusal(run: () => unknown): InvalidInputError {
  try {
    run();
  } catch (error) {
    if (error instanceof InvalidInputError) return error;
    throw error;
  }
  throw new Error('expected an InvalidInputError, but nothing was thrown');
}
