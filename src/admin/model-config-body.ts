import { Injectable, type PipeTransform } from '@nestjs/common';
import { InvalidInputError } from '../common/errors/domain-error';
import { describeSchemaError, enforceLimits } from '../common/validation/schema-gate';
import { validateFlatDto } from '../common/validation/dto-validation';
import { parseModelOverrides } from '../model-registry/model-config';
import { ManifestError } from '../model-registry/repository-json';
import type { ModelConfigValues } from '../model-registry/model-version';
import { ModelConfigDto } from './dto/model-config.dto';
import { isValidModelConfig, withinModelConfigLimits } from './dto/model-config.schema';

/**
 * The body of PUT /v1/admin/models/{name}/config, checked as /v1 checks its
 * bodies: counts bounded first, then the compiled schema decides (unknown
 * keys refused at any depth, keys named after Object.prototype members taken
 * as the labels they are), and a refusal is worded by the DTO (fields) and by
 * config.json's rules (labels, weights), naming the key and its path; the
 * schema's own finding when neither names one.
 */
export function parseModelConfigBody(raw: unknown): ModelConfigValues {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new InvalidInputError(['request body must be a JSON object']);
  enforceLimits(withinModelConfigLimits, raw);
  if (!isValidModelConfig(raw)) {
    const finding = describeSchemaError(isValidModelConfig.errors?.[0]);
    // The flat DTO check cannot see into "shadow" (a nested object): parseModelOverrides words its refusals.
    const { shadow: _nested, ...flat } = raw as Record<string, unknown>;
    validateFlatDto(ModelConfigDto, flat);
    overridesOf(raw);
    throw new InvalidInputError([finding]);
  }
  return overridesOf(raw);
}

/**
 * The body of PUT .../config as the overrides it sets (parseModelConfigBody).
 * A parameter pipe, not class-validator's ValidationPipe: class-transformer's
 * copy drops keys named after Object.prototype members, so {"labels": {"toString": 2}}
 * reached the handler as {"labels": {}} and wiped the labels.
 */
@Injectable()
export class ParseModelConfigPipe implements PipeTransform<unknown, ModelConfigValues> {
  transform(raw: unknown): ModelConfigValues {
    return parseModelConfigBody(raw);
  }
}

function overridesOf(raw: object): ModelConfigValues {
  try {
    return parseModelOverrides(raw, 'request body');
  } catch (error) {
    if (!(error instanceof ManifestError)) throw error;
    throw new InvalidInputError([error.message]);
  }
}
