import { hasUsableConfig } from '../model-registry/model-config-state';
import { expectedDigest } from '../model-registry/model-digest';
import type { ModelStatus, VersionStatus } from '../model-registry/model-version';
import { defaultVersion } from '../model-registry/version-resolution';
import type { ConfigErrorDto, ImageInputSummaryDto, ModelListDto, ModelSummaryDto, VersionSummaryDto } from './model-summary.dto';

/** Every model, as GET /v1/models and POST /v1/admin/rescan answer. */
export function mapModelList(models: readonly ModelStatus[]): ModelListDto {
  return { models: models.map((model) => mapModelStatus(model)) };
}

/** A model with the version a request that names none gets, the canary split aside (ModelRegistry.defaultVersion). */
export function mapModelStatus(model: ModelStatus): ModelSummaryDto {
  return mapModelSummary(model, defaultVersion(model));
}

export function mapModelSummary(model: ModelStatus, defaultVersion: number | undefined): ModelSummaryDto {
  return {
    name: model.name,
    versions: model.versions.map((status) => ({
      version: status.version,
      state: status.state,
      ...(status.reason ? { reason: status.reason } : {}),
      ...digestsOf(model, status),
      ...deprecationOf(model, status),
      ...imageOf(status),
    })),
    labels: { ...model.labels },
    ...(defaultVersion !== undefined ? { default_version: defaultVersion } : {}),
    ...(Object.keys(model.weights).length > 0 ? { weights: { ...model.weights } } : {}),
    ...(model.configError ? { config_error: mapConfigError(model) } : {}),
    ...(model.shadow ? { shadow: { version: model.shadow.config.version, sample: model.shadow.config.sample, since: model.shadow.since.toISOString() } } : {}),
  };
}

/** A refused config.json as both the model list and a version's metadata show it; undefined while none is. */
export function mapConfigError(model: ModelStatus): ConfigErrorDto | undefined {
  const error = model.configError;
  if (!error) return undefined;
  return {
    file: error.file,
    reason: error.reason,
    since: error.since.toISOString(),
    in_force: hasUsableConfig(model) ? 'last_good' : 'none',
  };
}

/** The digest of the bytes a loaded session serves, and the one config.json declares (what a FAILED version was held to). */
function digestsOf(model: ModelStatus, status: VersionStatus): { sha256?: string; declared_sha256?: string } {
  const declared = expectedDigest(model, status.version)?.sha256;
  return {
    ...(status.ready ? { sha256: status.ready.sha256 } : {}),
    ...(declared !== undefined ? { declared_sha256: declared } : {}),
  };
}

/**
 * A deprecated version's deprecation in force (config.json's, or the admin API's), as configured; a
 * version with a sunset shows `deprecated` (true, unless a date is given) since a sunset deprecates it.
 */
function deprecationOf(model: ModelStatus, status: VersionStatus): Pick<VersionSummaryDto, 'deprecated' | 'sunset' | 'link' | 'after_sunset'> {
  const config = model.deprecations?.get(status.version)?.config;
  if (!config) return {};
  return {
    deprecated: typeof config.deprecated === 'string' ? config.deprecated : true,
    ...(config.sunset !== undefined ? { sunset: config.sunset, after_sunset: config.after_sunset ?? 'serve' } : {}),
    ...(config.link !== undefined ? { link: config.link } : {}),
  };
}

/** Only a loaded version's manifest is known; image models are the ones that take uploads. */
function imageOf(status: VersionStatus): { image?: ImageInputSummaryDto } {
  const image = status.ready?.manifest?.image;
  return image ? { image: { width: image.width, height: image.height, color: image.color } } : {};
}
