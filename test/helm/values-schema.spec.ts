import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  BAD_VALUES_DIR,
  FIXTURES_DIR,
  GOOD_VALUES_FILES,
  badValuesFiles,
  compileSchema,
  deref,
  errorLocations,
  formatErrors,
  helmMerge,
  isObject,
  read,
  schema,
  values,
  valuesWith,
  type Json,
  type JsonObject,
  type Schema,
} from '../support/chart';

/**
 * values.schema.json, which helm applies to every install and upgrade: it accepts the defaults and
 * the good values files of test/fixtures/helm, and refuses each bad one where that file says.
 */

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

  // The gRPC settings, inline rather than as bad-values files: [overlay, where the error must be].
  const GRPC_BAD: [string, JsonObject, string][] = [
    ['config.GRPC_PORT above 65535', { config: { GRPC_PORT: 70000 } }, '/config/GRPC_PORT'],
    ['config.GRPC_PORT as a string', { config: { GRPC_PORT: '8001' } }, '/config/GRPC_PORT'],
    ['config.GRPC_PORT negative', { config: { GRPC_PORT: -1 } }, '/config/GRPC_PORT'],
    ['config.GRPC_PORT not an integer', { config: { GRPC_PORT: 8001.5 } }, '/config/GRPC_PORT'],
    ['config.GRPC_MAX_MESSAGE_BYTES below 1024', { config: { GRPC_MAX_MESSAGE_BYTES: 1023 } }, '/config/GRPC_MAX_MESSAGE_BYTES'],
    ['config.GRPC_MAX_MESSAGE_BYTES above 2147483647', { config: { GRPC_MAX_MESSAGE_BYTES: 2147483648 } }, '/config/GRPC_MAX_MESSAGE_BYTES'],
    ['config.GRPC_MAX_MESSAGE_BYTES as a string', { config: { GRPC_MAX_MESSAGE_BYTES: '4Mi' } }, '/config/GRPC_MAX_MESSAGE_BYTES'],
    ['service.grpcPort 0', { service: { grpcPort: 0 } }, '/service/grpcPort'],
    ['service.grpcPort above 65535', { service: { grpcPort: 70000 } }, '/service/grpcPort'],
    ['service.grpcPort as a string', { service: { grpcPort: '8001' } }, '/service/grpcPort'],
    ['service.grpcPorts (typo)', { service: { grpcPorts: 8001 } }, '/service/grpcPorts'],
  ];

  it.each(GRPC_BAD)('rejects %s', (_, overlay, expected) => {
    expect(validate(helmMerge(values, overlay)), `${JSON.stringify(overlay)} should be invalid`).toBe(false);
    expect(errorLocations(validate.errors), formatErrors(validate.errors)).toContain(expected);
  });

  it('accepts the gRPC settings at their bounds (GRPC_PORT 0 turns gRPC off)', () => {
    for (const overlay of [
      { config: { GRPC_PORT: 0 } },
      { config: { GRPC_PORT: 65535, GRPC_MAX_MESSAGE_BYTES: 1024 } },
      { config: { GRPC_MAX_MESSAGE_BYTES: 2147483647 }, service: { grpcPort: 1 } },
      { service: { grpcPort: 65535 } },
    ] as JsonObject[]) {
      expect(validate(helmMerge(values, overlay)), `${JSON.stringify(overlay)}: ${formatErrors(validate.errors)}`).toBe(true);
    }
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
