import { readFileSync } from 'node:fs';
import { readFile, realpath, stat } from 'node:fs/promises';

/**
 * A file the service re-reads when it changes (API_KEYS_FILE, JWT_JWKS_FILE), found by polling:
 * Kubernetes updates a mounted Secret or ConfigMap by swapping a symlink to a new folder, which
 * file-system watchers miss. Each poll compares the resolved path, inode, size and mtime, and only
 * when one changed reads the content, which is handed on only when it differs from the last read.
 * A poll that fails (the file missing for a moment) is reported and tried again at the next one.
 */
export class WatchedFile {
  private signature = '';
  private content: string;
  private timer: NodeJS.Timeout | undefined;
  private polling = false;
  /** The last poll failed: the next good read is handed on even when unchanged, so the owner knows it is mended. */
  private troubled = false;

  /** Reads the file now (at start, so a missing file stops the service); throws what readFileSync throws. */
  constructor(
    readonly path: string,
    private readonly onChange: (content: string) => void,
    private readonly onProblem: (problem: string) => void,
  ) {
    this.content = readFileSync(path, 'utf8');
  }

  /** The content read at start. */
  get initial(): string {
    return this.content;
  }

  /** Polls every `intervalMs` until stop(); the timer never keeps the process alive. */
  start(intervalMs: number): void {
    void this.poll();
    this.timer = setInterval(() => void this.poll(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One check, as the timer makes it (exposed for tests). */
  async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      const [resolved, stats] = await Promise.all([realpath(this.path), stat(this.path)]);
      const signature = `${resolved}|${stats.ino}|${stats.size}|${stats.mtimeMs}`;
      if (signature === this.signature) return;
      const content = await readFile(this.path, 'utf8');
      this.signature = signature;
      if (content === this.content && !this.troubled) return;
      this.troubled = false;
      this.content = content;
      this.onChange(content);
    } catch (error) {
      // Read again at the next poll, whatever the signature says.
      this.signature = '';
      this.troubled = true;
      this.onProblem(`cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    } finally {
      this.polling = false;
    }
  }
}
