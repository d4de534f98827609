import { Injectable } from '@nestjs/common';
import type { SiblingOutcome } from '../cluster/primary';
import { ServerProcess, TO_HTTP_PROCESS, TO_PRIMARY } from '../cluster/server-process';
import { DomainError, ERROR_STATUS, type ErrorCode } from '../common/errors/domain-error';
import { ModelRegistry } from '../model-registry/model-registry.service';
import type { ModelConfigValues } from '../model-registry/model-version';

/** What the admin API changes; plain data, so it can be sent to the pod's other HTTP processes. */
export type AdminAction =
  | { op: 'rescan' }
  | { op: 'reload'; model: string }
  | { op: 'load'; model: string; version: number }
  | { op: 'unload'; model: string; version: number }
  | { op: 'unload-model'; model: string }
  | { op: 'set-config'; model: string; overrides: ModelConfigValues | undefined };

/** Loads can take long, but an admin call must still end. */
const RELAY_TIMEOUT_MS = 310_000;

/**
 * Applies admin actions to the model registry: in this process, and with
 * HTTP_PROCESSES > 1 then in every other one (through the primary), so that
 * whichever process a later request lands on serves the same versions,
 * default, labels and weights. The call answers once every process has.
 */
@Injectable()
export class AdminActions {
  constructor(
    private readonly registry: ModelRegistry,
    private readonly serverProcess: ServerProcess,
  ) {
    serverProcess.primary?.handle(TO_HTTP_PROCESS.admin, (action) => this.applyForSibling(action as AdminAction));
  }

  async apply(action: AdminAction): Promise<void> {
    // Here first: what fails here (unknown model, a conflict) is refused before any other process changes.
    await this.applyHere(action);
    const primary = this.serverProcess.primary;
    if (!primary) return;
    let outcomes: SiblingOutcome[];
    try {
      outcomes = await primary.request<SiblingOutcome[]>(TO_PRIMARY.admin, action, RELAY_TIMEOUT_MS);
    } catch (error) {
      throw new DomainError('PROCESS_UNAVAILABLE', `applied in this HTTP process only: ${(error as Error).message}; repeat the request`);
    }
    const failed = outcomes.filter((outcome) => outcome.error);
    if (failed.length === 0) return;
    // Every action is safe to repeat: a retry brings the processes that missed it in line.
    const { process, error } = failed[0];
    const total = outcomes.length + 1;
    throw new DomainError(
      knownCode(error!.code) ?? 'PROCESS_UNAVAILABLE',
      `applied in ${total - failed.length} of ${total} HTTP processes; HTTP process ${process} answered: ${error!.message}. ` +
        'Repeat the request once that is resolved',
    );
  }

  private async applyHere(action: AdminAction): Promise<void> {
    switch (action.op) {
      case 'rescan':
        return this.registry.rescan();
      case 'reload':
        await this.registry.reloadModel(action.model);
        return;
      case 'load':
        await this.registry.loadNow(action.model, action.version);
        return;
      case 'unload':
        await this.registry.unload(action.model, action.version);
        return;
      case 'unload-model':
        return this.unloadModel(action.model);
      case 'set-config':
        this.registry.setOverrides(action.model, action.overrides);
        return;
    }
  }

  /** Every version of a model, as the repository extension unloads it; refused for a model readiness waits for. */
  private async unloadModel(name: string): Promise<void> {
    const model = this.registry.get(name);
    if (this.registry.isRequired(name)) {
      throw new DomainError(
        'CONFLICT',
        `model "${name}" is required for readiness (named by REQUIRED_MODELS, or, loading eagerly, it served at start): unloading it would take the pod out of service`,
      );
    }
    await Promise.all(model.versions.filter((v) => !v.pinnedUnloaded).map((v) => this.registry.unload(name, v.version, true)));
  }

  /** An action another process has applied: the outcome is sent back as data, the error's code kept. */
  private async applyForSibling(action: AdminAction): Promise<SiblingOutcome['error']> {
    try {
      await this.applyHere(action);
      return undefined;
    } catch (error) {
      return { code: error instanceof DomainError ? error.code : undefined, message: (error as Error).message };
    }
  }
}

function knownCode(code: string | undefined): ErrorCode | undefined {
  return code !== undefined && Object.hasOwn(ERROR_STATUS, code) ? (code as ErrorCode) : undefined;
}
