import type { ModelStatus } from './model-version';
import { declaredSha256, type VersionConfig } from './version-config';

// A version's model.onnx against the sha256 its model's config.json declares for it. Only model.onnx
// is checked: the manifest is read and validated on its own, and its digest is not declared.

/** The sha256 a version's model.onnx must have, and the file that says so, as reasons name it. */
export interface ExpectedDigest {
  readonly sha256: string;
  readonly declaredIn: string;
}

/** A model.onnx whose bytes are not the ones config.json declares for the version. */
export class DigestMismatchError extends Error {
  constructor(
    readonly actual: string,
    readonly expected: ExpectedDigest,
    name: string,
    version: number,
  ) {
    super(`${name}/${version}/model.onnx sha256 is ${actual}, but ${expected.declaredIn} declares ${expected.sha256} for version ${version}`);
  }
}

/** The digest the model's config in force declares for this version, if it declares one. */
export function expectedDigest(model: ModelStatus, version: number): ExpectedDigest | undefined {
  const sha256 = declaredSha256(model.fileConfig?.versions, version);
  return sha256 === undefined ? undefined : { sha256, declaredIn: model.configFile ?? `${model.name}/config.json` };
}

/** Why bytes of this sha256 (lower-case hex, as node:crypto prints it) must not serve as the version; undefined when they may. */
export function digestMismatch(name: string, version: number, actual: string, expected: ExpectedDigest | undefined): DigestMismatchError | undefined {
  return expected === undefined || expected.sha256 === actual ? undefined : new DigestMismatchError(actual, expected, name, version);
}

/** The versions whose declared sha256 differs between two configs' `versions` sections (added, removed or changed). */
export function versionsWithChangedDigest(
  before: Readonly<Record<string, VersionConfig>> | undefined,
  after: Readonly<Record<string, VersionConfig>> | undefined,
): number[] {
  const keys = new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})]);
  return [...keys].map(Number).filter((version) => declaredSha256(before, version) !== declaredSha256(after, version));
}
