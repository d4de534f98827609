import type { StoredObject } from '../object-storage/s3-bucket';
import { MANIFEST_FILE, MODEL_CONFIG_FILE, MODEL_FILE, MODEL_NAME_PATTERN, VERSION_PATTERN, type SkippedEntry } from './model-store';

export interface ListedVersion {
  readonly version: number;
  model?: StoredObject;
  manifest?: StoredObject;
}

export interface ListedModel {
  readonly name: string;
  config?: StoredObject;
  /** Ascending by version. */
  readonly versions: ListedVersion[];
}

const NOT_A_VERSION = 'a version folder must be a positive integer';

/**
 * A bucket listing read as the repository's layout, `<name>/<version>/model.onnx` (+ `manifest.json`)
 * and `<name>/config.json` under the prefix, by the rules of a local directory: a model "folder" exists
 * once any key starts with `<name>/` (a console's `<name>/` marker included), other names are skipped
 * with the reason, and names starting with "." are ignored. Keys deeper than a version's files are not
 * part of the layout.
 */
export function repositoryLayout(objects: readonly StoredObject[], prefix: string): { models: ListedModel[]; skipped: SkippedEntry[] } {
  const models = new Map<string, ListedModel>();
  const skipped = new Map<string, string>();
  for (const object of objects) {
    if (!object.key.startsWith(prefix)) continue;
    const [name, child, file, ...deeper] = object.key.slice(prefix.length).split('/');
    // A key without "/" is a file beside the models, as a file in MODELS_DIR is: not a model.
    if (child === undefined || name.startsWith('.')) continue;
    if (!MODEL_NAME_PATTERN.test(name)) {
      skipped.set(name, 'not a valid model name');
      continue;
    }
    const model = models.get(name) ?? { name, versions: [] };
    models.set(name, model);
    if (child === '' || child.startsWith('.')) continue;
    if (file === undefined && child === MODEL_CONFIG_FILE) {
      model.config = object;
      continue;
    }
    if (!VERSION_PATTERN.test(child)) {
      skipped.set(`${name}/${child}`, NOT_A_VERSION);
      continue;
    }
    const number = Number(child);
    let version = model.versions.find((listed) => listed.version === number);
    if (!version) {
      version = { version: number };
      model.versions.push(version);
    }
    if (deeper.length === 0 && file === MODEL_FILE) version.model = object;
    if (deeper.length === 0 && file === MANIFEST_FILE) version.manifest = object;
  }
  const sorted = [...models.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const model of sorted) model.versions.sort((a, b) => a.version - b.version);
  return { models: sorted, skipped: [...skipped].map(([entry, reason]) => ({ entry, reason })) };
}

/** What a version's fingerprint is made of: the ETags of its files, so a new upload of either reloads it. */
export function versionFingerprint(version: ListedVersion): string {
  return `${version.model?.etag ?? 'none'}|${version.manifest?.etag ?? 'none'}`;
}
