import { describe, expect, it, vi } from 'vitest';
import type { ModelStatus, ReadyVersion } from '../model-registry/model-version';
import type { VersionSelector } from '../model-registry/requested-version';
import { reportedVersion } from './drift-version';

function registryWith(defaultVersion: number | undefined) {
  const model = { name: 'iris' } as ModelStatus;
  return {
    get: vi.fn(() => model),
    defaultVersion: vi.fn(() => defaultVersion),
    acquire: vi.fn((_name: string, selector: VersionSelector) => ({ selector }) as unknown as ReadyVersion),
  };
}

describe('the version a drift report is about', () => {
  it('is the default version by number when none is named, so that a canary split never picks it', () => {
    const registry = registryWith(1);
    expect(reportedVersion(registry, 'iris', { kind: 'default' })).toEqual({ selector: { kind: 'number', version: 1 } });
  });

  it('is the one named, by number or label', () => {
    const registry = registryWith(1);
    expect(reportedVersion(registry, 'iris', { kind: 'number', version: 2 })).toEqual({ selector: { kind: 'number', version: 2 } });
    expect(reportedVersion(registry, 'iris', { kind: 'label', label: 'canary' })).toEqual({ selector: { kind: 'label', label: 'canary' } });
  });

  it('is left to the registry when the model has no default version yet', () => {
    expect(reportedVersion(registryWith(undefined), 'iris', { kind: 'default' })).toEqual({ selector: { kind: 'default' } });
  });

  it('is not looked for in a model the registry does not know', () => {
    const registry = registryWith(1);
    registry.get.mockImplementation(() => {
      throw new Error('model "nope" not found');
    });
    expect(() => reportedVersion(registry, 'nope', { kind: 'default' })).toThrow('not found');
    expect(registry.acquire).not.toHaveBeenCalled();
  });
});
