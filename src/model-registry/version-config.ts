import { Transform } from 'class-transformer';
import { ValidateBy, ValidateIf } from 'class-validator';
import { DEPRECATION_KEYS, DeprecationConfig, deprecationProblem } from './deprecation-config';
import { VERSION_KEY_PATTERN } from './manifest';
import { ManifestError, ownEntries, validated } from './repository-json';

/** A sha256 as `sha256sum` prints it: 64 hexadecimal digits; upper case is taken too (and shown lower case). */
export const SHA256_PATTERN = /^[0-9a-fA-F]{64}$/;

/**
 * What a model's config.json says about one of its versions, under `"versions": {"3": {...}}`: its
 * deprecation (DeprecationConfig), which the admin API's run-time config may set too, and `sha256`, which
 * it may not: a digest describes the artifact on disk, not a run-time choice.
 */
export class VersionConfig extends DeprecationConfig {
  /**
   * The sha256 its model.onnx must have; a file with another is refused before it is compiled.
   * Held lower case, as node:crypto and sha256sum print digests, so comparing is a string equality.
   */
  @ValidateIf((config: VersionConfig) => config.sha256 !== undefined)
  @IsSha256Hex()
  @Transform(({ value }) => (typeof value === 'string' ? value.toLowerCase() : value))
  sha256?: string;
}

/**
 * The `versions` section of a config.json, each entry checked: its key a version number as its folder is
 * named, its value a VersionConfig. Each refusal names the file, the version and what was wrong.
 */
export function parseVersionsSection(raw: unknown, file: string): Record<string, VersionConfig> {
  return parseEntries(raw, file, VersionConfig, ['sha256', ...DEPRECATION_KEYS], '{"sha256": "<64 hex digits>"}');
}

/**
 * The `versions` section of the admin API's run-time config: the same rules, deprecation keys only
 * (`sha256` is refused by name, saying where it belongs).
 */
export function parseDeprecationsSection(raw: unknown, file: string): Record<string, DeprecationConfig> {
  return parseEntries(raw, file, DeprecationConfig, DEPRECATION_KEYS, '{"deprecated": true}', (key, value) => {
    if (Object.hasOwn(value, 'sha256')) {
      throw new ManifestError(
        `${file}: versions.${key}: sha256 is set in the model's config.json only (a digest describes the files on disk, ` +
          `not a run-time choice); the run-time config sets ${DEPRECATION_KEYS.join(', ')}`,
      );
    }
  });
}

function parseEntries<T extends DeprecationConfig>(
  raw: unknown,
  file: string,
  cls: new () => T,
  keys: readonly string[],
  example: string,
  precheck?: (key: string, value: object) => void,
): Record<string, T> {
  const versions: Record<string, T> = {};
  for (const [key, value] of Object.entries(ownEntries(raw))) {
    if (!VERSION_KEY_PATTERN.test(key)) {
      throw new ManifestError(`${file}: versions.${key}: versions key "${key}" must be a version number`);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new ManifestError(`${file}: versions.${key}: version ${key} must have an object of settings, such as ${example}`);
    }
    precheck?.(key, value);
    // Named here, not left to class-validator's whitelist: it takes a key named after an Object.prototype
    // member ("constructor", "toString") for a declared one, and class-transformer then drops it unseen.
    const unknown = Object.keys(value).find((setting) => !keys.includes(setting));
    if (unknown !== undefined) throw new ManifestError(`${file}: versions.${key}: ${unknown}: property ${unknown} should not exist`);
    const entry = validated(cls, withoutNestedValues(value), `${file}: versions.${key}`);
    const problem = deprecationProblem(entry);
    if (problem) throw new ManifestError(`${file}: versions.${key}: ${problem}`);
    versions[key] = entry;
  }
  return versions;
}

/**
 * Every setting of a version is a plain value: an object or array in its place is refused as such, and
 * is handed to class-transformer empty, whose copy crashes on a nested key named "constructor".
 */
function withoutNestedValues(entry: object): object {
  const flat = (value: unknown) => (Array.isArray(value) ? [] : typeof value === 'object' && value !== null ? {} : value);
  return Object.fromEntries(Object.entries(entry).map(([key, value]) => [key, flat(value)]));
}

/** The digest config.json declares for a version, if it declares one. */
export function declaredSha256(versions: Readonly<Record<string, VersionConfig>> | undefined, version: number): string | undefined {
  const key = String(version);
  return versions && Object.hasOwn(versions, key) ? versions[key].sha256 : undefined;
}

function IsSha256Hex(): PropertyDecorator {
  return ValidateBy({
    name: 'isSha256Hex',
    validator: {
      validate: (value: unknown) => typeof value === 'string' && SHA256_PATTERN.test(value),
      defaultMessage: (args) =>
        `${args?.property} must be 64 hexadecimal digits, as \`sha256sum model.onnx\` prints them; ${whatIsWrong(args?.value)}`,
    },
  });
}

function whatIsWrong(value: unknown): string {
  if (typeof value !== 'string') {
    return `got ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value === 'object' ? 'an object' : `a ${typeof value}`}`;
  }
  if (value.length !== 64) return `got ${value.length} characters`;
  return 'got a character other than 0-9, a-f and A-F';
}
