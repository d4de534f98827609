import { Transform } from 'class-transformer';
import { ValidateBy, ValidateIf } from 'class-validator';
import { VERSION_KEY_PATTERN } from './manifest';
import { ManifestError, ownEntries, validated } from './repository-json';

/** A sha256 as `sha256sum` prints it: 64 hexadecimal digits; upper case is taken too (and shown lower case). */
export const SHA256_PATTERN = /^[0-9a-fA-F]{64}$/;

/**
 * What a model's config.json says about one of its versions, under `"versions": {"3": {...}}`.
 * File config only: these describe the artifact on disk, so the admin API's run-time overrides
 * (ModelOverrides) cannot change them. Later per-version settings go beside `sha256`.
 */
export class VersionConfig {
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
  const versions: Record<string, VersionConfig> = {};
  for (const [key, value] of Object.entries(ownEntries(raw))) {
    if (!VERSION_KEY_PATTERN.test(key)) {
      throw new ManifestError(`${file}: versions.${key}: versions key "${key}" must be a version number`);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new ManifestError(`${file}: versions.${key}: version ${key} must have an object of settings, such as {"sha256": "<64 hex digits>"}`);
    }
    versions[key] = validated(VersionConfig, value, `${file}: versions.${key}`);
  }
  return versions;
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
  if (typeof value !== 'string') return `got ${value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`}`;
  if (value.length !== 64) return `got ${value.length} characters`;
  return 'got a character other than 0-9, a-f and A-F';
}
