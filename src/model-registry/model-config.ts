import { Type } from 'class-transformer';
import {
  IsBoolean,
  IsInt,
  IsObject,
  IsOptional,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';
import { LABEL_NAME_PATTERN, VERSION_KEY_PATTERN } from './manifest';
import { ManifestError, ownEntries, validated } from './repository-json';
import type { DeprecationConfig } from './deprecation-config';
import { ShadowConfig } from './shadow-config';
import { parseDeprecationsSection, parseVersionsSection, type VersionConfig } from './version-config';

/** Per-model dynamic batching settings; each one falls back to the service-wide setting. */
export class ModelBatchingConfig {
  @IsOptional()
  @IsBoolean()
  enabled?: boolean;

  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(100_000)
  max_batch_size?: number;

  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(10_000_000)
  max_queue_delay_us?: number;

  @IsOptional()
  @IsInt()
  @Min(1)
  max_queue_size?: number;
}

/**
 * What may change about a model while it serves: in its `config.json`, and at
 * run time through the admin API (PUT /v1/admin/models/{name}/config), whose
 * body is this shape.
 */
export class ModelOverrides {
  @IsOptional()
  @IsInt()
  @Min(1)
  default_version?: number;

  /** Label -> version, e.g. `{"stable": 1, "canary": 2}`. */
  @IsOptional()
  @IsObject()
  labels: Record<string, number> = {};

  /** Version -> share of the requests that name no version, e.g. `{"1": 90, "2": 10}` for a canary. */
  @IsOptional()
  @IsObject()
  weights: Record<string, number> = {};

  /** A version answering sampled requests again, in the background, for comparison (shadow-config.ts); null turns it off. */
  @IsOptional()
  @ValidateNested()
  @Type(() => ShadowConfig)
  shadow?: ShadowConfig | null;

  /** Version -> its deprecation, e.g. `{"1": {"deprecated": true, "sunset": "2027-06-01T00:00:00Z"}}` (DeprecationConfig). */
  @IsOptional()
  @IsObject()
  versions: Record<string, DeprecationConfig> = {};
}

/** A model's response cache (off unless configured): answers to repeated identical inputs, bounded in bytes. */
export class ModelCacheConfig {
  /** Most bytes of cached answers (outputs and keys) per loaded version; least recently used go first. */
  @IsInt()
  @Min(1024)
  @Max(17_179_869_184)
  max_bytes!: number;
}

/** Model-level `config.json` beside the version folders: the overridable fields, and batching and cache (read at load). */
export class ModelConfig extends ModelOverrides {
  @IsOptional()
  @ValidateNested()
  @Type(() => ModelBatchingConfig)
  batching?: ModelBatchingConfig;

  @IsOptional()
  @ValidateNested()
  @Type(() => ModelCacheConfig)
  cache?: ModelCacheConfig;

  /** Version -> what config.json says about that version, e.g. `{"3": {"sha256": "<64 hex digits>"}}` (VersionConfig). */
  @IsOptional()
  @IsObject()
  versions: Record<string, VersionConfig> = {};
}

/** A model's config values as held in memory: from config.json, or the run-time overrides. */
export type ModelConfigValues = Partial<Pick<ModelConfig, 'default_version' | 'labels' | 'weights' | 'batching' | 'cache' | 'versions' | 'shadow'>>;

export function parseModelConfig(json: unknown, file: string): ModelConfig {
  const config = checkedLabelsAndWeights(validated(ModelConfig, withoutMapEntries(json), file), json, file);
  config.versions = parseVersionsSection((json as { versions?: unknown }).versions, file);
  return config;
}

/**
 * The admin API's run-time config: the same rules as config.json, and only
 * the fields the request has (an absent `labels` keeps config.json's labels,
 * not none). Its `versions` hold deprecations only, each replacing config.json's
 * deprecation of that version whole (see version-deprecation.ts).
 */
export function parseModelOverrides(json: unknown, file: string): ModelConfigValues {
  const checked = checkedLabelsAndWeights(validated(ModelOverrides, withoutMapEntries(json), file), json, file);
  const has = (key: string) => Object.hasOwn(json as object, key);
  return {
    ...(checked.default_version !== undefined ? { default_version: checked.default_version } : {}),
    ...(has('labels') ? { labels: checked.labels } : {}),
    ...(has('weights') ? { weights: checked.weights } : {}),
    ...(has('shadow') ? { shadow: checked.shadow ?? null } : {}),
    ...(has('versions') ? { versions: parseDeprecationsSection((json as { versions?: unknown }).versions, file) } : {}),
  };
}

/**
 * class-transformer's copy of a plain object drops keys named after Object.prototype members (a label
 * "toString") and crashes on a key named "constructor": labels and weights are checked as the JSON's own
 * entries (checkedLabelsAndWeights, parseVersionsSection), and class-validator sees them empty (still
 * checked to be objects).
 */
function withoutMapEntries(json: unknown): unknown {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return json;
  const raw = json as Record<string, unknown>;
  const emptied = (value: unknown) => (typeof value === 'object' && value !== null && !Array.isArray(value) ? {} : value);
  const maps = ['labels', 'weights', 'versions'].filter((key) => Object.hasOwn(json, key));
  return { ...json, ...Object.fromEntries(maps.map((key) => [key, emptied(raw[key])])) };
}

function checkedLabelsAndWeights<T extends ModelOverrides>(config: T, json: unknown, file: string): T {
  const raw = json as { labels?: unknown; weights?: unknown };
  config.labels = ownEntries(raw.labels) as Record<string, number>;
  config.weights = ownEntries(raw.weights) as Record<string, number>;
  for (const [label, version] of Object.entries(config.labels)) {
    if (!LABEL_NAME_PATTERN.test(label)) {
      throw new ManifestError(`${file}: labels.${label}: label "${label}" must start with a letter and use only letters, digits, _ . -`);
    }
    if (!Number.isInteger(version) || version < 1) {
      throw new ManifestError(`${file}: labels.${label}: label "${label}" must point to a positive integer version`);
    }
  }
  for (const [version, weight] of Object.entries(config.weights)) {
    if (!VERSION_KEY_PATTERN.test(version)) {
      throw new ManifestError(`${file}: weights.${version}: weights key "${version}" must be a version number`);
    }
    if (typeof weight !== 'number' || !Number.isFinite(weight) || weight < 0) {
      throw new ManifestError(`${file}: weights.${version}: weights["${version}"] must be a number >= 0`);
    }
  }
  return config;
}
