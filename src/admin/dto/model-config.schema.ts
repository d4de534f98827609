import { compileGate } from '../../common/validation/schema-gate';
import { AFTER_SUNSET } from '../../model-registry/deprecation-config';
import { LABEL_NAME_PATTERN, VERSION_KEY_PATTERN } from '../../model-registry/manifest';
import { MAX_CONFIG_MAP_ENTRIES } from '../admin-routes';

/**
 * ShadowConfig's rules (model-registry/shadow-config.ts); null turns the shadow off. One schema for both, not
 * anyOf, so that a refusal names the key at fault (an unknown one inside "shadow", such as "constructor")
 * rather than the first alternative that did not match.
 */
const SHADOW_SCHEMA = {
  type: ['object', 'null'],
  additionalProperties: false,
  required: ['version', 'sample'],
  properties: {
    version: { anyOf: [{ type: 'integer', minimum: 1 }, { type: 'string', pattern: LABEL_NAME_PATTERN.source }] },
    sample: { type: 'number', minimum: 0, maximum: 1 },
    top_k: { type: 'integer', minimum: 1, maximum: 1000 },
    queue_size: { type: 'integer', minimum: 1, maximum: 10_000 },
  },
};

/** Counts bounded before anything looks at the entries (see enforceLimits). */
export const withinModelConfigLimits = compileGate({
  type: 'object',
  properties: {
    labels: { maxProperties: MAX_CONFIG_MAP_ENTRIES },
    weights: { maxProperties: MAX_CONFIG_MAP_ENTRIES },
    versions: { maxProperties: MAX_CONFIG_MAP_ENTRIES },
  },
});

/**
 * ModelConfigDto and config.json's rules for labels and weights as one
 * compiled schema: a body it accepts is valid as it is; for any other, the
 * DTO and those rules word the refusal (model-config-body.ts).
 */
export const isValidModelConfig = compileGate({
  type: 'object',
  additionalProperties: false,
  properties: {
    default_version: { type: 'integer', minimum: 1 },
    labels: {
      type: 'object',
      propertyNames: { pattern: LABEL_NAME_PATTERN.source },
      additionalProperties: { type: 'integer', minimum: 1 },
    },
    weights: {
      type: 'object',
      propertyNames: { pattern: VERSION_KEY_PATTERN.source },
      additionalProperties: { type: 'number', minimum: 0 },
    },
    shadow: SHADOW_SCHEMA,
    // The shapes only: dates, links and how the keys go together are config.json's rules (model-config-body.ts).
    versions: {
      type: 'object',
      propertyNames: { pattern: VERSION_KEY_PATTERN.source },
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        properties: {
          deprecated: { type: ['boolean', 'string'] },
          sunset: { type: 'string' },
          link: { type: 'string' },
          after_sunset: { enum: [...AFTER_SUNSET] },
        },
      },
    },
  },
});
