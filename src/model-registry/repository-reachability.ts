import type { Logger } from '@nestjs/common';
import { DomainError } from '../common/errors/domain-error';
import { messageOf } from './prepare-version';

/** Whether the repository could be read, as /health/ready's details and the metrics show it. */
export interface RepositoryReadState {
  /** The repository: its directory, or `s3://bucket/prefix`. */
  readonly repository: string;
  /** Whether the last read succeeded; false before the first one did. */
  readonly readable: boolean;
  /** When a read last succeeded (start or poll). */
  readonly lastSuccess?: Date;
  /** While reads fail: since when, and the last failure's reason. */
  readonly failingSince?: Date;
  readonly error?: string;
}

/**
 * Records each read of the repository (the scan at start and at every poll). A repository that cannot
 * be read (an object store unreachable, credentials refused, a bucket or directory missing) changes
 * nothing that is loaded: the versions serving keep serving, none is marked UNAVAILABLE. The outage is
 * logged once when it begins and once when it ends, not once per poll, and shown meanwhile.
 */
export class RepositoryReachability {
  private lastSuccess: Date | undefined;
  private failure: { since: Date; reason: string } | undefined;

  constructor(
    readonly repository: string,
    private readonly logger: Logger,
  ) {}

  /** Records how one read ends, and passes its outcome on: a failure as REPOSITORY_UNAVAILABLE (503) naming the repository. */
  async track<T>(read: Promise<T>): Promise<T> {
    try {
      const result = await read;
      this.succeeded();
      return result;
    } catch (error) {
      this.failed(error);
      throw new DomainError('REPOSITORY_UNAVAILABLE', this.unreadable ?? messageOf(error));
    }
  }

  /** Why the repository cannot be read, while it cannot; undefined once a read succeeds. */
  get unreadable(): string | undefined {
    return this.failure && `the model repository ${this.repository} cannot be read: ${this.failure.reason}`;
  }

  state(): RepositoryReadState {
    return {
      repository: this.repository,
      readable: this.failure === undefined && this.lastSuccess !== undefined,
      ...(this.lastSuccess ? { lastSuccess: this.lastSuccess } : {}),
      ...(this.failure ? { failingSince: this.failure.since, error: this.failure.reason } : {}),
    };
  }

  private succeeded(now = new Date()): void {
    if (this.failure) {
      const seconds = Math.round((now.getTime() - this.failure.since.getTime()) / 1000);
      this.logger.log(`The model repository ${this.repository} can be read again (after ${seconds} s); its changes are applied now`);
    }
    this.failure = undefined;
    this.lastSuccess = now;
  }

  private failed(error: unknown, now = new Date()): void {
    const reason = messageOf(error);
    if (!this.failure) {
      const serving = this.lastSuccess ? 'what is loaded keeps serving' : 'nothing is loaded until it can be read';
      this.logger.error(`The model repository ${this.repository} cannot be read: ${reason}; ${serving}, and it is read again at every poll`);
    }
    this.failure = { since: this.failure?.since ?? now, reason };
  }
}
