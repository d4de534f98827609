import { hasUsableConfig } from './model-config-state';
import type { ModelStatus } from './model-version';
import { defaultReady, defaultVersion } from './version-resolution';

/** Why the replica must not receive traffic: a sentence for probes and logs, and the models that cause it. */
export interface NotReady {
  readonly message: string;
  /** Model name -> why it cannot serve; only the models that hold readiness back, never the healthy ones. */
  readonly models: Readonly<Record<string, string>>;
}

/** At most this many versions are described in one reason: a model with hundreds would make probe bodies unreadable. */
const VERSIONS_DESCRIBED = 3;

/**
 * Why a model cannot answer requests that name no version, or undefined when
 * it can. A config refused while the model serves is not a reason: the last
 * good config stays in force, and the model keeps serving with it.
 */
export function whyNotServing(model: ModelStatus): string | undefined {
  if (defaultReady(model)) return undefined;
  if (!hasUsableConfig(model) && model.configError) return `${model.configError.reason} (not served until it is fixed)`;
  const version = defaultVersion(model);
  if (version === undefined) {
    if (model.versions.length === 0) return 'it has no version folder';
    const described = model.versions
      .slice(0, VERSIONS_DESCRIBED)
      .map((v) => `version ${v.version} is ${v.state}${v.reason ? ` (${v.reason})` : ''}`);
    const more = model.versions.length - described.length;
    return `no version is READY: ${described.join('; ')}${more > 0 ? `; and ${more} more` : ''}`;
  }
  const status = model.versions.find((v) => v.version === version);
  if (!status) return `its default version ${version} has no folder`;
  return `default version ${version} is ${status.state}${status.reason ? ` (${status.reason})` : ''}`;
}

/**
 * The readiness rule once the first load is done: every required model serves.
 * `explicit` says the names come from REQUIRED_MODELS, so a missing one is
 * waited for; one required only because it served at start is not, once removed.
 */
export function requiredModelsNotServing(
  required: ReadonlySet<string>,
  find: (name: string) => ModelStatus | undefined,
  explicit: boolean,
): NotReady | undefined {
  const causes: Record<string, string> = {};
  for (const name of required) {
    const model = find(name);
    const why = model ? whyNotServing(model) : explicit ? 'it has no folder in MODELS_DIR' : undefined;
    if (why) causes[name] = why;
  }
  const names = Object.keys(causes);
  if (names.length === 0) return undefined;
  const each = names.map((name) => `"${name}": ${causes[name]}`).join('; ');
  return { message: `required model${names.length > 1 ? 's' : ''} cannot serve: ${each}`, models: causes };
}

/** Before the first load is done: the models still loading (none yet listed while the repository is read). */
export function stillLoadingAtStart(models: readonly ModelStatus[]): NotReady {
  const loading = models.filter((model) => model.versions.some((v) => v.state === 'LOADING'));
  const causes = Object.fromEntries(loading.map((model) => [model.name, whyNotServing(model) ?? 'loading']));
  return {
    message: loading.length
      ? `models found at start are still loading: ${loading.map((model) => model.name).join(', ')}`
      : 'the model repository is still being read',
    models: causes,
  };
}
