// class-transformer's @Type decorator in app-config.ts needs the Reflect metadata API loaded first.
import 'reflect-metadata';
import { join } from 'node:path';
import { getMetadataStorage } from 'class-validator';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { AppConfig, CONFIG_DEFAULTS, ConfigError, LOG_LEVELS, loadConfig } from '../../src/config/app-config';
import { HEALTH_ROUTES } from '../../src/health/health-paths';
import { AFTER_SUNSET, DEPRECATION_KEYS, MAX_LINK_LENGTH } from '../../src/model-registry/deprecation-config';
import { LABEL_NAME_PATTERN, VERSION_KEY_PATTERN } from '../../src/model-registry/manifest';
import { parseModelConfig } from '../../src/model-registry/model-config';
import { MODEL_NAME_PATTERN } from '../../src/model-registry/model-store';
import { RFC3339_DATE_TIME } from '../../src/model-registry/rfc3339';
import { SHA256_PATTERN } from '../../src/model-registry/version-config';
import { METRICS_ROUTE } from '../../src/observability/metrics-path';
import {
  BAD_VALUES_DIR,
  CHART_DIR,
  FIXTURES_DIR,
  GOOD_VALUES_FILES,
  ROOT,
  badValuesFiles,
  compileSchema,
  configEnv,
  get,
  helmMerge,
  read,
  schema,
  templates,
  values,
  valuesWith,
  type JsonObject,
  type Schema,
} from '../support/chart';

/**
 * The chart against the service's own constants (CONFIG_DEFAULTS and its validators, HEALTH_ROUTES,
 * METRICS_ROUTE, the model-config rules): a setting, route or port changed in src/ without the chart
 * fails here, with no helm needed.
 */

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
    // Numbers are integers (@IsInt) unless the setting takes fractions (@IsNumber, e.g. PREDICTION_LOG_SAMPLE).
    const integers = new Set(
      getMetadataStorage()
        .getTargetValidationMetadatas(AppConfig, '', true, false)
        .filter((rule) => rule.name === 'isInt')
        .map((rule) => rule.propertyName),
    );
    for (const [name, value] of Object.entries(CONFIG_DEFAULTS)) {
      const number = integers.has(name) ? 'integer' : 'number';
      const type = typeof value === 'number' ? number : typeof value === 'boolean' ? 'boolean' : 'string';
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
        isNumber: ['type', 'number'],
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
      const env = configEnv(merged);
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
      const env = configEnv(merged);
      // PORT: "3000" is only a chart-side error (env vars are strings anyway); the rest the service refuses too.
      if (file === 'config-port-string.yaml') continue;
      expect(() => loadConfig(env), file).toThrow(ConfigError);
    }
  });

  it('the service refuses exactly the gRPC values the schema refuses (bounds of GRPC_PORT and GRPC_MAX_MESSAGE_BYTES)', () => {
    const env = configEnv(values);
    const cases: [keyof typeof CONFIG_DEFAULTS, number, boolean][] = [
      ['GRPC_PORT', 0, true],
      ['GRPC_PORT', 65535, true],
      ['GRPC_PORT', 65536, false],
      ['GRPC_PORT', -1, false],
      ['GRPC_PORT', 8001.5, false],
      ['GRPC_MAX_MESSAGE_BYTES', 1024, true],
      ['GRPC_MAX_MESSAGE_BYTES', 2147483647, true],
      ['GRPC_MAX_MESSAGE_BYTES', 1023, false],
      ['GRPC_MAX_MESSAGE_BYTES', 2147483648, false],
    ];
    const validate = compileSchema();
    for (const [name, value, ok] of cases) {
      expect(validate(helmMerge(values, { config: { [name]: value } })), `schema: ${name}=${value}`).toBe(ok);
      if (ok) expect(() => loadConfig({ ...env, [name]: String(value) }), `service: ${name}=${value}`).not.toThrow();
      else expect(() => loadConfig({ ...env, [name]: String(value) }), `service: ${name}=${value}`).toThrow(ConfigError);
    }
  });

  it('modelConfig entries follow the service model-config rules (ModelConfig, MODEL_NAME_PATTERN, LABEL_NAME_PATTERN, SHA256_PATTERN, the deprecation keys)', () => {
    const modelConfig = (schema.properties as Record<string, Schema>).modelConfig.properties as Record<string, Schema>;
    expect((modelConfig.models.propertyNames as Schema).pattern).toBe(MODEL_NAME_PATTERN.source);
    const entry = (schema.definitions as Record<string, Schema>).modelConfigEntry;
    const labels = (entry.properties as Record<string, Schema>).labels;
    expect((labels.propertyNames as Schema).pattern).toBe(LABEL_NAME_PATTERN.source);
    const versions = (entry.properties as Record<string, Schema>).versions;
    expect((versions.propertyNames as Schema).pattern).toBe(VERSION_KEY_PATTERN.source);
    const versionEntry = versions.additionalProperties as Schema;
    const settings = versionEntry.properties as Record<string, Schema>;
    expect(settings.sha256.pattern).toBe(SHA256_PATTERN.source);
    // A version's deprecation: the service's keys, date-time pattern, link bound and after_sunset values.
    expect(Object.keys(settings)).toEqual(['sha256', ...DEPRECATION_KEYS]);
    expect(settings.sunset.pattern).toBe(RFC3339_DATE_TIME.source);
    expect((settings.deprecated.anyOf as Schema[]).map((option) => option.pattern ?? option.type)).toEqual(['boolean', RFC3339_DATE_TIME.source]);
    expect(settings.link.maxLength).toBe(MAX_LINK_LENGTH);
    expect(settings.after_sunset.enum).toEqual([...AFTER_SUNSET]);
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
    const shortDigest = get(valuesWith(join(BAD_VALUES_DIR, 'model-config-sha256-short.yaml')), ['modelConfig', 'models', 'iris']).value;
    expect(() => parseModelConfig(shortDigest, 'iris.json')).toThrow('iris.json: versions.1: sha256 must be 64 hexadecimal digits');
    const dateOnly = get(valuesWith(join(BAD_VALUES_DIR, 'model-config-sunset-date-only.yaml')), ['modelConfig', 'models', 'iris']).value;
    expect(() => parseModelConfig(dateOnly, 'iris.json')).toThrow('iris.json: versions.1: sunset must be an RFC 3339 date-time with a time zone');
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

  it('the gRPC container port is config.GRPC_PORT (= CONFIG_DEFAULTS.GRPC_PORT), named grpc, rendered unless it is 0', () => {
    expect(get(values, ['config', 'GRPC_PORT']).value).toBe(CONFIG_DEFAULTS.GRPC_PORT);
    expect(get(values, ['config', 'GRPC_MAX_MESSAGE_BYTES']).value).toBe(CONFIG_DEFAULTS.GRPC_MAX_MESSAGE_BYTES);
    const gate = String.raw`\{\{- if ne \(int \.Values\.config\.GRPC_PORT\) 0 \}\}\n`;
    expect(templates['deployment.yaml']).toMatch(new RegExp(gate + String.raw`\s+- name: grpc\n\s+containerPort: \{\{ \.Values\.config\.GRPC_PORT \}\}\n\s+protocol: TCP\n`));
    expect(templates['service.yaml']).toMatch(
      new RegExp(gate + String.raw`\s+- name: grpc\n\s+port: \{\{ \.Values\.service\.grpcPort \}\}\n\s+targetPort: grpc\n\s+protocol: TCP\n\s+appProtocol: grpc\n`),
    );
    // The Service port defaults to the service's gRPC port, as clients of the protocol expect it.
    expect(get(values, ['service', 'grpcPort']).value).toBe(CONFIG_DEFAULTS.GRPC_PORT);
    // gRPC is not routed by the Ingress (HTTP only) and the probes stay on HTTP.
    expect(templates['ingress.yaml']).not.toMatch(/grpc/i);
    expect(templates['deployment.yaml'].match(/port: http$/gm)).toHaveLength(3);
  });

  it('no template hard-codes a route or a port', () => {
    const literals = [HEALTH_ROUTES.live, HEALTH_ROUTES.ready, METRICS_ROUTE, String(CONFIG_DEFAULTS.PORT), String(CONFIG_DEFAULTS.GRPC_PORT)];
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
