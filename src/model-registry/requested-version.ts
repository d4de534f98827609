import { DomainError } from '../common/errors/domain-error';
import { quoted } from '../common/errors/quoted';
import { LABEL_NAME_PATTERN } from './manifest';
import { VERSION_PATTERN } from './model-store';

export type VersionSelector =
  | { kind: 'default'; requestKey?: string }
  | { kind: 'number'; version: number }
  | { kind: 'label'; label: string };

/** How messages name where the version and the request key came from (REST headers, gRPC fields or metadata). */
export interface SelectorSources {
  readonly version: string;
  readonly requestKey: string;
}

const HEADERS: SelectorSources = { version: 'X-Model-Version', requestKey: 'X-Request-Key' };

/**
 * Parses what a client wrote in `X-Model-Version` (or a gRPC field or
 * metadata): a version number, a label such as `stable`, or nothing for the
 * default. A number is written as the path's `/versions/{v}` and the version
 * folders are (VERSION_PATTERN): " 1" or "01" name no version, and are
 * refused, not read as 1. HTTP has already stripped a header's surrounding
 * whitespace by the time it gets here; a gRPC field keeps what the client sent.
 */
export function parseVersionSelector(
  raw: string | string[] | undefined,
  requestKey?: string | string[],
  sources: SelectorSources = HEADERS,
): VersionSelector {
  if (Array.isArray(raw)) {
    throw new DomainError('BAD_REQUEST', `${sources.version} must be given once`);
  }
  const value = raw ?? '';
  if (value === '') return { kind: 'default', ...parseRequestKey(requestKey, sources) };
  if (VERSION_PATTERN.test(value)) return { kind: 'number', version: Number(value) };
  if (LABEL_NAME_PATTERN.test(value)) return { kind: 'label', label: value };
  throw new DomainError(
    'BAD_REQUEST',
    `${sources.version} must be a positive integer version or a label: a version is digits only, without a leading zero or spaces (e.g. 1); ` +
      `a label starts with a letter, then letters, digits, _ . - (e.g. stable); got ${quoted(value, 40)}`,
  );
}

function parseRequestKey(raw: string | string[] | undefined, sources: SelectorSources): { requestKey?: string } {
  if (raw === undefined || raw === '') return {};
  if (Array.isArray(raw)) throw new DomainError('BAD_REQUEST', `${sources.requestKey} must be given once`);
  if (raw.length > 256) throw new DomainError('BAD_REQUEST', `${sources.requestKey} must be at most 256 characters`);
  return { requestKey: raw };
}

export function describeSelector(selector: VersionSelector): string {
  switch (selector.kind) {
    case 'default':
      return 'default version';
    case 'number':
      return `version ${selector.version}`;
    case 'label':
      return `label "${selector.label}"`;
  }
}
