import { createHash } from 'node:crypto';
import { constants, type Dirent } from 'node:fs';
import { lstat, open, readdir, readFile, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { jsonNestedDeeperThan } from '../common/validation/json-limits';
import { parseManifest, type VersionManifest } from './manifest';
import { parseModelConfig, type ModelConfig } from './model-config';
import { ManifestError } from './repository-json';

export const MODEL_FILE = 'model.onnx';
export const MANIFEST_FILE = 'manifest.json';
export const MODEL_CONFIG_FILE = 'config.json';

/** Folder names a model may have: no dots at the start, nothing that walks out of MODELS_DIR. */
export const MODEL_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
/** A version is a positive integer without leading zeros, so "01" and "1" cannot both exist. */
export const VERSION_PATTERN = /^[1-9][0-9]{0,8}$/;

/** Largest model file read into memory; larger files are refused rather than exhausting the heap. */
export const MAX_MODEL_BYTES = 2 * 1024 ** 3 - 1;
export const MAX_JSON_BYTES = 4 * 1024 ** 2;
/**
 * Deepest nesting of arrays and objects in config.json and manifest.json. The deepest the service's own
 * shapes go is 4 (a drift reference's bins); the rest leaves room for free-form "evaluation" and "training".
 */
export const MAX_REPOSITORY_JSON_DEPTH = 64;

export interface StoredModel {
  name: string;
  /** Where the config is read from, as reasons name it: `<name>/config.json` or `MODEL_CONFIG_DIR/<name>.json`. */
  configFile: string;
  /** The model-level config, or the reason it could not be read. */
  config: ModelConfig | Error;
  /** Changes whenever config.json is written. */
  configFingerprint: string;
  /** Versions found, ascending, each with a fingerprint of its files. */
  versions: StoredVersionEntry[];
}

export interface StoredVersionEntry {
  version: number;
  /** Size, modification time and inode of model.onnx and manifest.json: equal fingerprints, same files. */
  fingerprint: string;
}

export interface SkippedEntry {
  entry: string;
  reason: string;
}

export interface StoredVersion {
  bytes: Uint8Array;
  sha256: string;
  manifest: VersionManifest | undefined;
}

/**
 * Reads the model repository `<root>/<name>/<version>/model.onnx`. Knows files
 * and names only; nothing here runs a model. Every path it opens is resolved
 * and must stay inside the root, so symlinks cannot lead it elsewhere.
 */
export class ModelStore {
  private rootRealPath: string | undefined;
  /**
   * Each model's config as last read, by fingerprint: a poll reads and validates only the config files
   * that changed, not a thousand unchanged ones every few seconds.
   */
  private readonly parsedConfigs = new Map<string, { fingerprint: string; config: ModelConfig | Error }>();

  /**
   * @param configDir where `<model>.json` model configs live when they are kept
   *   apart from the models (a mounted ConfigMap); else `<model>/config.json`.
   */
  constructor(
    readonly root: string,
    private readonly configDir?: string,
  ) {}

  async scan(): Promise<{ models: StoredModel[]; skipped: SkippedEntry[] }> {
    const root = await this.realRoot();
    const models: StoredModel[] = [];
    const skipped: SkippedEntry[] = [];
    const seen = new Set<string>();
    const entries = (await readdir(root, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const dirent of entries) {
      const entry = dirent.name;
      if (!MODEL_NAME_PATTERN.test(entry)) {
        if (!entry.startsWith('.')) skipped.push({ entry, reason: 'not a valid model name' });
        continue;
      }
      const modelDir = await this.modelDirectory(root, dirent);
      if (modelDir === undefined) continue;
      if (typeof modelDir !== 'string') {
        skipped.push({ entry, reason: modelDir.reason });
        continue;
      }
      const versions: StoredVersionEntry[] = [];
      const children = await readdir(modelDir);
      for (const child of children) {
        if (child === MODEL_CONFIG_FILE || child.startsWith('.')) continue;
        if (!VERSION_PATTERN.test(child)) {
          skipped.push({ entry: `${entry}/${child}`, reason: 'a version folder must be a positive integer' });
          continue;
        }
        const dir = path.join(modelDir, child);
        const fingerprint = `${await fileFingerprint(path.join(dir, MODEL_FILE))}|${await fileFingerprint(path.join(dir, MANIFEST_FILE))}`;
        versions.push({ version: Number(child), fingerprint });
      }
      versions.sort((a, b) => a.version - b.version);
      seen.add(entry);
      models.push({ name: entry, versions, ...(await this.storedConfig(entry, children.includes(MODEL_CONFIG_FILE))) });
    }
    for (const name of this.parsedConfigs.keys()) if (!seen.has(name)) this.parsedConfigs.delete(name);
    return { models, skipped };
  }

  /**
   * A model folder's resolved path; undefined for a plain file. A real directory is inside the root by
   * construction (its name was checked); only a symlink is resolved and checked to stay inside, which
   * spares a thousand-model repository two system calls per model on every poll.
   */
  private async modelDirectory(root: string, dirent: Dirent): Promise<string | { reason: string } | undefined> {
    const direct = path.join(root, dirent.name);
    if (dirent.isDirectory()) return direct;
    if (!dirent.isSymbolicLink()) return undefined;
    const resolved = await this.contained(direct);
    if (typeof resolved !== 'string') return resolved;
    return (await stat(resolved)).isDirectory() ? resolved : undefined;
  }

  /** Reads one version's model bytes and manifest; rejects with a reason a person can act on. */
  async readVersion(name: string, version: number): Promise<StoredVersion> {
    const dir = await this.versionDir(name, version);
    const bytes = await this.readContained(path.join(dir, MODEL_FILE), MAX_MODEL_BYTES);
    const manifestPath = path.join(dir, MANIFEST_FILE);
    let manifest: VersionManifest | undefined;
    if (await exists(manifestPath)) {
      const shown = `${name}/${version}/${MANIFEST_FILE}`;
      const text = Buffer.from(await this.readContained(manifestPath, MAX_JSON_BYTES)).toString('utf8');
      manifest = namingFile(shown, () => parseManifest(parseJson(text, shown), shown));
    }
    return { bytes, manifest, sha256: createHash('sha256').update(bytes).digest('hex') };
  }

  /**
   * A model's config, where it is read from and its fingerprint, as scan() finds them. With a config
   * directory it reads nothing under the root, so stores that keep models elsewhere use it for MODEL_CONFIG_DIR.
   */
  async storedConfig(name: string, inModelFolder = true): Promise<Pick<StoredModel, 'configFile' | 'config' | 'configFingerprint'>> {
    // A config.json the folder's listing lacks is not looked for: a failed stat costs an exception per model per poll.
    // The fingerprint is taken before the read: a write in between gives a newer fingerprint on the next poll, read again then.
    const configFingerprint = this.configDir || inModelFolder ? await fileFingerprint(await this.configFile(name)) : NO_FILE;
    const parsed = this.parsedConfigs.get(name);
    if (parsed?.fingerprint === configFingerprint) return { configFile: this.shownConfigFile(name), config: parsed.config, configFingerprint };
    const config = await this.readConfig(name);
    this.parsedConfigs.set(name, { fingerprint: configFingerprint, config });
    return { configFile: this.shownConfigFile(name), config, configFingerprint };
  }

  private async configFile(name: string): Promise<string> {
    return this.configDir ? path.join(this.configDir, `${name}.json`) : path.join(await this.realRoot(), name, MODEL_CONFIG_FILE);
  }

  /** Reasons are public: the config directory's own path stays out of them. */
  private shownConfigFile(name: string): string {
    return this.configDir ? `MODEL_CONFIG_DIR/${name}.json` : `${name}/${MODEL_CONFIG_FILE}`;
  }

  private async readConfig(name: string): Promise<ModelConfig | Error> {
    const file = await this.configFile(name);
    const shown = this.shownConfigFile(name);
    try {
      if (!(await exists(file))) return parseModelConfig({}, shown);
      // A config directory (a mounted ConfigMap) is trusted as configured; only model files must stay in MODELS_DIR.
      const bytes = this.configDir ? await readFile(file) : await this.readContained(file, MAX_JSON_BYTES);
      if (bytes.length > MAX_JSON_BYTES) throw new ManifestError(`${shown} is larger than ${MAX_JSON_BYTES} bytes`);
      const text = Buffer.from(bytes).toString('utf8');
      return namingFile(shown, () => parseModelConfig(parseJson(text, shown), shown));
    } catch (error) {
      return error instanceof ManifestError ? error : new ManifestError(`${shown} cannot be read: ${describeFailure(error)}`);
    }
  }

  private async versionDir(name: string, version: number): Promise<string> {
    if (!MODEL_NAME_PATTERN.test(name)) throw new ManifestError(`invalid model name "${name}"`);
    if (!VERSION_PATTERN.test(String(version))) throw new ManifestError(`invalid version "${version}"`);
    const dir = await this.contained(path.join(await this.realRoot(), name, String(version)));
    if (typeof dir !== 'string') throw new ManifestError(`${name}/${version}: ${dir.reason}`);
    return dir;
  }

  /** Opens read-only and reads a file that must resolve inside the root. */
  private async readContained(file: string, maxBytes: number): Promise<Uint8Array> {
    const resolved = await this.contained(file);
    if (typeof resolved !== 'string') throw new ManifestError(`${this.shown(file)}: ${resolved.reason}`);
    // O_NONBLOCK: opening a FIFO named model.onnx would otherwise wait for a writer forever (and with it
    // the version's load and every rescan); opened at once, it is refused below as not a regular file.
    const handle = await open(resolved, constants.O_RDONLY | constants.O_NONBLOCK);
    try {
      const stat = await handle.stat();
      if (!stat.isFile()) throw new ManifestError(`${this.shown(file)} is not a regular file`);
      if (stat.size > maxBytes) throw new ManifestError(`${this.shown(file)} is larger than ${maxBytes} bytes`);
      return new Uint8Array(await handle.readFile());
    } finally {
      await handle.close();
    }
  }

  private async contained(candidate: string): Promise<string | { reason: string }> {
    let resolved: string;
    try {
      resolved = await realpath(candidate);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      return { reason: code === 'ENOENT' ? `${this.shown(candidate)} does not exist` : `cannot resolve (${code})` };
    }
    const root = await this.realRoot();
    if (resolved !== root && !resolved.startsWith(root + path.sep)) {
      return { reason: 'resolves outside MODELS_DIR (symlinks out of the model repository are refused)' };
    }
    return resolved;
  }

  private shown(file: string): string {
    const root = this.rootRealPath ?? this.root;
    return file.startsWith(root) ? path.relative(root, file) : path.basename(file);
  }

  private async realRoot(): Promise<string> {
    this.rootRealPath ??= await realpath(this.root);
    return this.rootRealPath;
  }
}

/** The fingerprint of a file that is not there. */
const NO_FILE = 'none';

async function fileFingerprint(file: string): Promise<string> {
  try {
    const info = await stat(file);
    return `${info.size}:${info.mtimeMs}:${info.ino}`;
  } catch {
    return NO_FILE;
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await lstat(file);
    return true;
  } catch {
    return false;
  }
}

export function parseJson(text: string, shown: string): unknown {
  // Refused before parsing: the validators that walk the parsed value recurse (see jsonNestedDeeperThan).
  if (jsonNestedDeeperThan(text, MAX_REPOSITORY_JSON_DEPTH)) {
    throw new ManifestError(`${shown} nests arrays and objects deeper than ${MAX_REPOSITORY_JSON_DEPTH} levels`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    // V8's message quotes the start of the text: reasons are public (model list, readiness), file contents are not.
    const position = /at position (\d+)/.exec((error as Error).message)?.[1];
    throw new ManifestError(`${shown} is not valid JSON${position === undefined ? '' : ` (at character ${position})`}`);
  }
}

/**
 * Runs a parse or validation of one repository file so that whatever it throws names the file: a
 * ManifestError already does; anything else (a bug, a library's own error) is wrapped rather than
 * shown as a bare message no operator could place.
 */
export function namingFile<T>(shown: string, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof ManifestError) throw error;
    throw new ManifestError(`${shown} could not be checked: ${describeFailure(error)}`);
  }
}

function describeFailure(error: unknown): string {
  if (error instanceof RangeError && /call stack/i.test(error.message)) return 'it nests too deeply to be read';
  const code = (error as NodeJS.ErrnoException).code;
  return code ?? (error instanceof Error ? error.message : String(error));
}
