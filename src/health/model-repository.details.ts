import { Injectable } from '@nestjs/common';
import { ModelRegistry } from '../model-registry/model-registry.service';
import type { RepositoryReadState } from '../model-registry/repository-reachability';
import { ReadinessDetails } from './readiness-details';

/**
 * Shows in /health/ready's details whether the model repository could be read at the last attempt.
 * Shown, not judged: an outage after start costs no traffic (what is loaded keeps serving), and at
 * start the registry's own readiness already names it.
 */
@Injectable()
export class ModelRepositoryDetails {
  constructor(details: ReadinessDetails, registry: ModelRegistry) {
    details.show('model_repository', () => mapRepositoryState(registry.reachability.state()));
  }
}

export function mapRepositoryState(state: RepositoryReadState): Record<string, unknown> {
  return {
    repository: state.repository,
    readable: state.readable,
    last_success: state.lastSuccess?.toISOString() ?? null,
    ...(state.failingSince ? { failing_since: state.failingSince.toISOString(), error: state.error } : {}),
  };
}
