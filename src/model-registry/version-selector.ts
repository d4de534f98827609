import { DomainError } from '../common/domain-error';
import { LABEL_NAME_PATTERN } from './manifest';
import { VERSION_PATTERN } from './model-store';

export type VersionSelector =
  | { kind: 'default'; requestKey?: string }
  | { kind: 'number'; version: number }
  | { kind: 'label'; label: string };

/**
 * Parses what a client wrote in `X-Model-Version` (or a path segment): a
 * version number, a label such as `stable`, or nothing for the default.
 */
export function parseVersionSelector(
  raw: string | string[] | undefined,
  requestKey?: string | string[],
): VersionSelector {
  if (Array.isArray(raw)) {
    throw new DomainError('BAD_REQUEST', 'X-Model-Version must be given once');
  }
  const value = raw?.trim() ?? '';
  if (value === '') return { kind: 'default', ...parseRequestKey(requestKey) };
  if (VERSION_PATTERN.test(value)) return { kind: 'number', version: Number(value) };
  if (LABEL_NAME_PATTERN.test(value)) return { kind: 'label', label: value };
  throw new DomainError(
    'BAD_REQUEST',
    `X-Model-Version must be a positive integer version or a label (letters, digits, _ . -), got "${truncate(value)}"`,
  );
}

function parseRequestKey(raw: string | string[] | undefined): { requestKey?: string } {
  if (raw === undefined || raw === '') return {};
  if (Array.isArray(raw)) throw new DomainError('BAD_REQUEST', 'X-Request-Key must be given once');
  if (raw.length > 256) throw new DomainError('BAD_REQUEST', 'X-Request-Key must be at most 256 characters');
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
