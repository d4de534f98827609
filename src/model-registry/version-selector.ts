import { DomainError } from '../common/domain-error';
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
 * Parses what a client wrote in `X-Model-Version` (or a path segment, or a
 * gRPC field): a version number, a label such as `stable`, or nothing for the default.
 */
export function parseVersionSelector(
  raw: string | string[] | undefined,
  requestKey?: string | string[],
  sources: SelectorSources = HEADERS,
): VersionSelector {
  if (Array.isArray(raw)) {
    throw new DomainError('BAD_REQUEST', `${sources.version} must be given once`);
  }
  const value = raw?.trim() ?? '';
  if (value === '') return { kind: 'default', ...parseRequestKey(requestKey, sources) };
  if (VERSION_PATTERN.test(value)) return { kind: 'number', version: Number(value) };
  if (LABEL_NAME_PATTERN.test(value)) return { kind: 'label', label: value };
  throw new DomainError(
    'BAD_REQUEST',
    `${sources.version} must be a positive integer version or a label (letters, digits, _ . -), got "${truncate(value)}"`,
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

function truncate(value: string): string {
  return value.length > 40 ? `${value.slice(0, 40)}...` : value;
}
