import { createHash, timingSafeEqual } from 'node:crypto';
import type { AuthLogger } from './auth-logger';
import { type ApiKeyEntry, parseApiKeysFile } from './api-keys-file';
import type { Caller } from './caller';
import { LastGoodFile } from './last-good-file';

/** Where the store is at, for /health/ready's details and auth_file_valid. */
export interface ApiKeysStatus {
  readonly file: string;
  readonly keys: number;
  /** false: the file's last read was refused, and the keys read before it are still in force. */
  readonly valid: boolean;
  readonly problem?: string;
}

/**
 * The API keys of API_KEYS_FILE, kept up to date without a restart (LastGoodFile: a broken change
 * keeps the last good keys in force).
 */
export class ApiKeyStore {
  private readonly file: LastGoodFile<readonly ApiKeyEntry[]>;

  constructor(path: string, logger: AuthLogger) {
    this.file = new LastGoodFile<readonly ApiKeyEntry[]>('API_KEYS_FILE', path, parseApiKeysFile, logger, (entries) => `${entries.length} keys`);
  }

  watch(intervalMs: number): void {
    this.file.watch(intervalMs);
  }

  stop(): void {
    this.file.stop();
  }

  /** Checks the file now, as the poll does (for tests). */
  recheck(): Promise<void> {
    return this.file.recheck();
  }

  /**
   * The caller a key stands for, or undefined. The key's digest is compared with every digest
   * of the file in constant time, and none is skipped, so the answer's timing does not tell how
   * much of a digest matched or which entry did.
   */
  find(key: string): Caller | undefined {
    const digest = createHash('sha256').update(key, 'utf8').digest();
    let found: Caller | undefined;
    for (const entry of this.file.value) {
      if (timingSafeEqual(digest, entry.digest)) found = entry.caller;
    }
    return found;
  }

  status(): ApiKeysStatus {
    const problem = this.file.problem;
    return { file: this.file.path, keys: this.file.value.length, valid: problem === undefined, ...(problem ? { problem } : {}) };
  }
}
