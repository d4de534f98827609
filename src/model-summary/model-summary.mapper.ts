import type { ModelStatus } from '../model-registry/model-version';
import type { ModelSummaryDto } from './model-summary.dto';

export function mapModelSummary(model: ModelStatus, defaultVersion: number | undefined): ModelSummaryDto {
  return {
    name: model.name,
    versions: model.versions.map((status) => ({
      version: status.version,
      state: status.state,
      ...(status.reason ? { reason: status.reason } : {}),
    })),
    labels: { ...model.labels },
    ...(defaultVersion !== undefined ? { default_version: defaultVersion } : {}),
    ...(Object.keys(model.weights).length > 0 ? { weights: { ...model.weights } } : {}),
    ...(model.configError ? { config_error: model.configError } : {}),
  };
}
