import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { describeValidationErrors } from '../common/validation/validation-errors';

/** A repository file (manifest.json, config.json, an admin config body) that breaks its rules; the message names the file. */
export class ManifestError extends Error {}

/** The JSON's own entries as a plain object: none of Object.prototype's, and no class-transformer copy. */
export function ownEntries(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null ? Object.fromEntries(Object.entries(value)) : {};
}

/** The JSON checked against the class's rules, unknown keys refused: every problem named, after the file's name. */
export function validated<T extends object>(cls: new () => T, json: unknown, file: string): T {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new ManifestError(`${file}: must hold a JSON object`);
  }
  const instance = plainToInstance(cls, json, { exposeDefaultValues: true });
  const errors = validateSync(instance, { whitelist: true, forbidNonWhitelisted: true });
  if (errors.length > 0) throw new ManifestError(`${file}: ${describeValidationErrors(errors).join('; ')}`);
  return instance;
}
