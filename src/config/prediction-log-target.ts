import path from 'node:path';

/** Where the prediction log goes: PREDICTION_LOG parsed. */
export type LogTarget = FileTarget | PostgresTarget | HttpTarget;

export interface FileTarget {
  readonly sink: 'file';
  /** The file as configured; with several HTTP processes each writes its own (see fileOfProcess). */
  readonly path: string;
  /** Rotate once the file reaches this size: rotating-file-stream's syntax (a number and B, K, M or G). */
  readonly size: string;
  /** Rotated files kept beside the current one (<file>.1 the newest ... <file>.<keep> the oldest). */
  readonly keep: number;
}

export interface PostgresTarget {
  readonly sink: 'postgres';
  readonly url: string;
}

export interface HttpTarget {
  readonly sink: 'http';
  readonly url: string;
}

export type SinkName = LogTarget['sink'];

export const FILE_DEFAULTS = { size: '100M', keep: 10 } as const;

const SIZE = /^[1-9][0-9]{0,9}[BKMG]$/;

/**
 * Reads PREDICTION_LOG: '' (off), `file:<path>[?size=100M&keep=10]`, `postgres://...` /
 * `postgresql://...`, or `http://...` / `https://...`. Throws an Error that says what is wrong;
 * the configuration runs it at start, so a bad value stops the pod with its reason.
 */
export function parseLogTarget(value: string): LogTarget | undefined {
  if (value === '') return undefined;
  if (value.startsWith('file:')) return parseFileTarget(value.slice('file:'.length));
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(value)?.[1]?.toLowerCase();
  if (scheme === 'postgres' || scheme === 'postgresql') {
    const url = parseUrl(value);
    if (!url.hostname && !url.searchParams.has('host')) throw new Error('a postgres:// URL needs a host');
    return { sink: 'postgres', url: value };
  }
  if (scheme === 'http' || scheme === 'https') {
    const url = parseUrl(value);
    if (!url.hostname) throw new Error('an http(s):// URL needs a host');
    return { sink: 'http', url: value };
  }
  throw new Error('must be empty, file:<path>, postgres://..., postgresql://..., http://... or https://...');
}

function parseFileTarget(rest: string): FileTarget {
  const query = rest.indexOf('?');
  const file = query === -1 ? rest : rest.slice(0, query);
  if (file === '' || file.endsWith('/')) throw new Error('file: needs a file path, e.g. file:/var/log/onnx/predictions.jsonl');
  const options = new URLSearchParams(query === -1 ? '' : rest.slice(query + 1));
  let size: string = FILE_DEFAULTS.size;
  let keep: number = FILE_DEFAULTS.keep;
  for (const [key, value] of options) {
    if (key === 'size') {
      if (!SIZE.test(value)) throw new Error(`file: size=${value} must be a number followed by B, K, M or G (e.g. 100M)`);
      size = value;
    } else if (key === 'keep') {
      if (!/^[0-9]{1,4}$/.test(value) || Number(value) < 1) throw new Error(`file: keep=${value} must be an integer from 1 to 9999`);
      keep = Number(value);
    } else {
      throw new Error(`file: unknown option ${key} (size and keep are known)`);
    }
  }
  return { sink: 'file', path: path.resolve(file), size, keep };
}

function parseUrl(value: string): URL {
  try {
    return new URL(value);
  } catch {
    throw new Error('is not a valid URL');
  }
}

/**
 * The file one HTTP process writes: the configured path when the pod runs one process, else the
 * process index before the extension (predictions.jsonl -> predictions-2.jsonl), so no two processes
 * ever append to, or rotate, the same file.
 */
export function fileOfProcess(file: string, processIndex: number, clustered: boolean): string {
  if (!clustered) return file;
  const extension = path.extname(file);
  return `${file.slice(0, file.length - extension.length)}-${processIndex}${extension}`;
}

/** The target as health details and log lines may show it: no password, no query (it may carry credentials). */
export function describeTarget(target: LogTarget): string {
  if (target.sink === 'file') return target.path;
  try {
    const url = new URL(target.url);
    url.password = '';
    url.search = '';
    url.hash = '';
    return url.toString();
  } catch {
    return target.sink;
  }
}
