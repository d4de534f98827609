import type { AuthLogger } from './auth-logger';
import { WatchedFile } from './watched-file';

/** What a file's parse throws for content that cannot be used; its message says what is wrong. */
export class AuthFileError extends Error {}

/**
 * A file PREDICT_AUTH reads (API_KEYS_FILE, JWT_JWKS_FILE), parsed and kept up to date without a
 * restart: read at start (a broken file throws, naming the setting and the path, so the service
 * does not start), then again whenever it changes. A broken change keeps the last good value in
 * force: logged once (not at every poll) and shown as invalid until the file is mended.
 */
export class LastGoodFile<T> {
  private current: T;
  private refused: string | undefined;
  private readonly file: WatchedFile;

  /**
   * @param setting the setting that names the file, as messages name it
   * @param parse throws an AuthFileError for content that cannot be used
   * @param describe what is in force, for the log line of a good read ("2 keys in force")
   * @param onChange called after each good read that replaced the value
   */
  constructor(
    private readonly setting: string,
    path: string,
    private readonly parse: (content: string) => T,
    private readonly logger: AuthLogger,
    private readonly describe: (value: T) => string,
    private readonly onChange: () => void = () => undefined,
  ) {
    try {
      this.file = new WatchedFile(path, (content) => this.reload(content), (problem) => this.refuse(problem));
      this.current = parse(this.file.initial);
    } catch (error) {
      throw new AuthFileError(`${setting} ${path} ${error instanceof AuthFileError ? error.message : `cannot be read (${(error as Error).message})`}`);
    }
  }

  get value(): T {
    return this.current;
  }

  get path(): string {
    return this.file.path;
  }

  /** Why the file's last read was refused, while it is (the value read before stays in force). */
  get problem(): string | undefined {
    return this.refused;
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

  private reload(content: string): void {
    let value: T;
    try {
      value = this.parse(content);
    } catch (error) {
      this.refuse((error as Error).message);
      return;
    }
    this.current = value;
    if (this.refused !== undefined) this.logger.log(`${this.setting} ${this.path} is valid again`);
    this.refused = undefined;
    this.logger.log(`${this.setting} ${this.path} read: ${this.describe(value)}`);
    this.onChange();
  }

  private refuse(problem: string): void {
    if (problem === this.refused) return;
    this.refused = problem;
    this.logger.warn(`${this.setting} ${this.path} ${problem}; ${this.describe(this.current)} read before stay in force`);
  }
}
