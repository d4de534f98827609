import type { ModelRegistry } from '../model-registry/model-registry.service';
import type { ReadyVersion } from '../model-registry/model-version';
import type { VersionSelector } from '../model-registry/requested-version';

/**
 * The version a drift report is about: the one X-Model-Version names, else
 * the model's default version. Never the canary split: asked without a
 * version, the answer is the default's, every time.
 */
export function reportedVersion(
  registry: Pick<ModelRegistry, 'get' | 'defaultVersion' | 'acquire'>,
  name: string,
  selector: VersionSelector,
): ReadyVersion | Promise<ReadyVersion> {
  const defaultVersion = registry.defaultVersion(registry.get(name));
  return registry.acquire(name, selector.kind === 'default' && defaultVersion !== undefined ? { kind: 'number', version: defaultVersion } : selector);
}
