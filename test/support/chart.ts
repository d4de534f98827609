import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import { parse } from 'yaml';

/**
 * The Helm chart in helm/onnx-model-server as files: values.yaml, values.schema.json, the
 * templates, and the values fixtures of test/fixtures/helm. No helm binary is needed here
 * (see ./helm.ts for rendering).
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };
export type Schema = Record<string, unknown>;

export const ROOT = resolve(__dirname, '..', '..');
export const CHART_DIR = join(ROOT, 'helm', 'onnx-model-server');
const TEMPLATES_DIR = join(CHART_DIR, 'templates');
export const FIXTURES_DIR = join(ROOT, 'test', 'fixtures', 'helm');
export const BAD_VALUES_DIR = join(FIXTURES_DIR, 'bad-values');
export const GOOD_VALUES_FILES = [
  'good-all-features.yaml',
  'good-init-container.yaml',
  'good-admin-token-secret.yaml',
  'good-prediction-log-secret.yaml',
  'good-keda-alerts.yaml',
  'good-s3.yaml',
];

export const read = (path: string): string => readFileSync(path, 'utf8');
export const isObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export const valuesText = read(join(CHART_DIR, 'values.yaml'));
export const values = parse(valuesText) as JsonObject;
export const schema = JSON.parse(read(join(CHART_DIR, 'values.schema.json'))) as Schema;
export const templates: Record<string, string> = Object.fromEntries(
  readdirSync(TEMPLATES_DIR)
    .sort()
    .map((name) => [name, read(join(TEMPLATES_DIR, name))]),
);
export const allTemplateText = Object.values(templates).join('\n');
export const badValuesFiles = readdirSync(BAD_VALUES_DIR)
  .filter((name) => name.endsWith('.yaml'))
  .sort();

/** Merges user values over defaults the way helm does: maps merge deeply, null deletes a key, anything else replaces. */
export function helmMerge(base: JsonObject, overlay: JsonObject): JsonObject {
  const out: JsonObject = { ...base };
  for (const [key, value] of Object.entries(overlay)) {
    if (value === null) delete out[key];
    else if (isObject(value) && isObject(out[key])) out[key] = helmMerge(out[key] as JsonObject, value);
    else out[key] = value;
  }
  return out;
}

export function valuesWith(file: string): JsonObject {
  return helmMerge(values, (parse(read(file)) ?? {}) as JsonObject);
}

export function compileSchema(): ValidateFunction {
  // Strict mode catches schema mistakes (unknown keywords, ignored keywords); union types such as
  // ["integer", "string"] (int-or-percentage values) are deliberate.
  const ajv = new Ajv({ strict: true, allErrors: true, allowUnionTypes: true });
  return ajv.compile(schema);
}

/** Where each error points, including the offending key for additional/missing/property-name errors. */
export function errorLocations(errors: ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).map((error) => {
    const params = error.params as Record<string, unknown>;
    const key = params.additionalProperty ?? params.missingProperty ?? params.propertyName;
    return key === undefined ? error.instancePath : `${error.instancePath}/${String(key)}`;
  });
}

export function formatErrors(errors: ErrorObject[] | null | undefined): string {
  return (errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`).join('\n');
}

/** Follows a local "#/definitions/x" reference. */
export function deref(node: Schema): Schema {
  const ref = node.$ref;
  if (typeof ref !== 'string') return node;
  const name = ref.replace('#/definitions/', '');
  const target = (schema.definitions as Record<string, Schema>)[name];
  if (!target) throw new Error(`unresolved $ref ${ref}`);
  return deref(target);
}

export function get(root: Json, path: string[]): { found: boolean; value?: Json } {
  let node: Json = root;
  for (const segment of path) {
    if (!isObject(node) || !(segment in node)) return { found: false };
    node = node[segment];
  }
  return { found: true, value: node };
}

/** The settings of a values tree's `config` as the service receives them: env vars, all strings. */
export function configEnv(merged: JsonObject): Record<string, string> {
  return Object.fromEntries(Object.entries(merged.config as JsonObject).map(([k, v]) => [k, String(v)]));
}

/** Every `.Values.a.b.c` path the templates reference (including `$.Values...`). */
export function referencedValuePaths(): string[][] {
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
export function templateActions(text: string): string[] {
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
