import { AuthFileError } from './last-good-file';
import { quoted } from '../common/errors/quoted';
import { MODEL_NAME_PATTERN } from '../model-registry/model-store';
import { ALL_MODELS, Caller } from './caller';

/** One key of API_KEYS_FILE: the SHA-256 digest of the key (never the key), and the caller it stands for. */
export interface ApiKeyEntry {
  readonly digest: Buffer;
  readonly caller: Caller;
}

/** Key ids name callers in logs and traces: short, plain, no spaces or quotes. */
const KEY_ID = /^[A-Za-z0-9][A-Za-z0-9_.@:-]{0,127}$/;
const SHA256_HEX = /^[0-9a-fA-F]{64}$/;
const ENTRY_FIELDS: ReadonlySet<string> = new Set(['id', 'sha256', 'models']);

export class ApiKeysFileError extends AuthFileError {}

/**
 * API_KEYS_FILE's content as the keys it holds, checked strictly: `{"keys": [{"id", "sha256",
 * "models"}]}`, ids unique, digests 64 hex digits and unique, models valid model names or "*", no
 * other fields. Every problem is named in one ApiKeysFileError (`keys[2].sha256 ...`), so a broken
 * file is mended in one pass; a key is never in the message, only where it stands.
 */
export function parseApiKeysFile(content: string): ApiKeyEntry[] {
  let document: unknown;
  try {
    document = JSON.parse(content);
  } catch (error) {
    throw new ApiKeysFileError(`is not valid JSON: ${(error as Error).message}`);
  }
  if (!isObject(document) || !Array.isArray(document.keys)) {
    throw new ApiKeysFileError('must be a JSON object {"keys": [{"id": ..., "sha256": ..., "models": [...]}]}');
  }
  const extra = Object.keys(document).filter((key) => key !== 'keys');
  const problems: string[] = extra.map((key) => `unknown field ${quoted(key)} (the file holds only "keys")`);
  const entries: ApiKeyEntry[] = [];
  const ids = new Set<string>();
  const digests = new Set<string>();
  document.keys.forEach((entry: unknown, index: number) => {
    const at = `keys[${index}]`;
    if (!isObject(entry)) {
      problems.push(`${at} must be an object {"id", "sha256", "models"}`);
      return;
    }
    const before = problems.length;
    for (const key of Object.keys(entry)) {
      if (!ENTRY_FIELDS.has(key)) problems.push(`${at} has an unknown field ${quoted(key)} (fields: id, sha256, models)`);
    }
    const { id, sha256, models } = entry;
    if (typeof id !== 'string' || !KEY_ID.test(id)) {
      problems.push(`${at}.id must be 1 to 128 letters, digits and _ . @ : - starting with a letter or digit`);
    } else if (ids.has(id)) {
      problems.push(`${at}.id ${quoted(id)} is used twice`);
    } else {
      ids.add(id);
    }
    if (typeof sha256 !== 'string' || !SHA256_HEX.test(sha256)) {
      problems.push(`${at}.sha256 must be 64 hexadecimal digits: the SHA-256 of the key (e.g. printf %s "$KEY" | sha256sum)`);
    } else if (digests.has(sha256.toLowerCase())) {
      problems.push(`${at}.sha256 is the digest of a key listed before it: one key, one id`);
    } else {
      digests.add(sha256.toLowerCase());
    }
    problems.push(...modelProblems(models, `${at}.models`));
    if (problems.length > before) return;
    entries.push({ digest: Buffer.from(sha256 as string, 'hex'), caller: new Caller(id as string, 'key', models as string[]) });
  });
  if (problems.length > 0) throw new ApiKeysFileError(problems.join('; '));
  return entries;
}

function modelProblems(models: unknown, at: string): string[] {
  if (!Array.isArray(models) || models.length === 0) return [`${at} must list the models the key may use, or "*" for all`];
  return models.flatMap((model: unknown, index) =>
    typeof model === 'string' && (model === ALL_MODELS || MODEL_NAME_PATTERN.test(model))
      ? []
      : [`${at}[${index}] ${typeof model === 'string' ? quoted(model) : JSON.stringify(model)?.slice(0, 40)} is not a model name or "*"`],
  );
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
