import { createHash, timingSafeEqual } from 'node:crypto';
import type { AuthLogger } from './auth-logger';
import { type ApiKeyEntry, ApiKeysFileError, parseApiKeysFile } from './api-keys-file';
import type { Caller } from './caller';
import { WatchedFile } from './watched-file';

/** Where the store is at, for /health/ready's details and auth_file_valid. */
export interface ApiKeysStatus {
  readonly file: string;
  readonly keys: number;
  /** false: the file's last read was refused, and the keys read before it are still in force. */
  readonly valid: boolean;
  readonly problem?: string;
}

/**
 * The API keys of API_KEYS_FILE, kept up to date without a restart: read at start (a broken file
 * stops the service), then again whenever the file changes. A change that is broken keeps the last
 * good keys in force: logged once (not at every poll) and shown as invalid until the file is mended.
 */
export class ApiKeyStore {
  private entries: readonly ApiKeyEntry[];
  private problem: string | undefined;
  private readonly file: WatchedFile;

  constructor(
    path: string,
    private readonly logger: AuthLogger,
  ) {
    try {
      this.file = new WatchedFile(path, (content) => this.reload(content), (problem) => this.refuse(problem));
      this.entries = parseApiKeysFile(this.file.initial);
    } catch (error) {
      const why = error instanceof ApiKeysFileError ? error.message : `cannot be read (${(error as Error).message})`;
      throw new ApiKeysFileError(`API_KEYS_FILE ${path} ${why}`);
    }
  }

  watch(intervalMs: number): void {
    this.file.start(intervalMs);
  }

  stop(): void {
    this.file.stop();
  }

  /** Checks the file now, as the poll does (for tests). */
  recheck(): Promise<void> {
    return this.file.poll();
  }

  /**
   * The caller a key stands for, or undefined. The key's digest is compared with every digest
   * of the file in constant time, and none is skipped, so the answer's timing does not tell how
   * much of a digest matched or which entry did.
   */
  find(key: string): Caller | undefined {
    const digest = createHash('sha256').update(key, 'utf8').digest();
    let found: Caller | undefined;
    for (const entry of this.entries) {
      if (timingSafeEqual(digest, entry.digest)) found = entry.caller;
    }
    return found;
  }

  status(): ApiKeysStatus {
    return { file: this.file.path, keys: this.entries.length, valid: this.problem === undefined, ...(this.problem ? { problem: this.problem } : {}) };
  }

  private reload(content: string): void {
    let entries: ApiKeyEntry[];
    try {
      entries = parseApiKeysFile(content);
    } catch (error) {
      this.refuse((error as Error).message);
      return;
    }
    this.entries = entries;
    if (this.problem !== undefined) this.logger.log(`API_KEYS_FILE ${this.file.path} is valid again`);
    this.problem = undefined;
    this.logger.log(`API_KEYS_FILE ${this.file.path} read: ${entries.length} keys in force`);
  }

  private refuse(problem: string): void {
    if (problem === this.problem) return;
    this.problem = problem;
    this.logger.warn(`API_KEYS_FILE ${this.file.path} ${problem}; the ${this.entries.length} keys read before stay in force`);
  }
}
