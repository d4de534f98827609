// class-transformer's @Type decorator in app-config.ts needs the Reflect metadata API loaded first.
import 'reflect-metadata';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONFIG_DEFAULTS, ConfigError, loadConfig } from '../../src/config/app-config';
import { FIXTURES_DIR, compileSchema, configEnv, helmMerge, values } from '../support/chart';
import { HELM, byKind, envOf, helmTemplate, helmTemplateFails, podOf } from '../support/helm';

/**
 * The prediction log's settings in the chart: PREDICTION_LOG from a Secret (predictionLog.existingSecret),
 * the other PREDICTION_LOG_* settings as plain config, and no database password in values.
 */

describe('chart: prediction log', () => {
  it.skipIf(!HELM)('takes PREDICTION_LOG from predictionLog.existingSecret exactly once, never as a value', () => {
    const [container] = podOf(byKind(helmTemplate(join(FIXTURES_DIR, 'good-prediction-log-secret.yaml')), 'Deployment')).spec.containers;
    expect(container.env.filter((e) => e.name === 'PREDICTION_LOG')).toEqual([
      { name: 'PREDICTION_LOG', valueFrom: { secretKeyRef: { name: 'onnx-prediction-log', key: 'postgres-url' } } },
    ]);
    expect(envOf(container)).toMatchObject({ PREDICTION_LOG_SAMPLE: '0.25', PREDICTION_LOG_QUEUE_SIZE: '50000', PREDICTION_LOG_MAX_VALUE_BYTES: '0' });
  });

  it.skipIf(!HELM)('renders the defaults as config: the log off, every setting at its service default', () => {
    const [container] = podOf(byKind(helmTemplate(), 'Deployment')).spec.containers;
    expect(container.env.filter((e) => e.name === 'PREDICTION_LOG')).toEqual([{ name: 'PREDICTION_LOG', value: '' }]);
    expect(envOf(container)).toMatchObject({
      PREDICTION_LOG_SAMPLE: String(CONFIG_DEFAULTS.PREDICTION_LOG_SAMPLE),
      PREDICTION_LOG_QUEUE_SIZE: String(CONFIG_DEFAULTS.PREDICTION_LOG_QUEUE_SIZE),
      PREDICTION_LOG_MAX_VALUE_BYTES: String(CONFIG_DEFAULTS.PREDICTION_LOG_MAX_VALUE_BYTES),
    });
  });

  it.skipIf(!HELM)('renders a file or passwordless URL from config as it is', () => {
    const [container] = podOf(byKind(helmTemplate(undefined, ['--set', 'config.PREDICTION_LOG=file:/tmp/predictions.jsonl?size=50M&keep=3']), 'Deployment')).spec
      .containers;
    expect(envOf(container).PREDICTION_LOG).toBe('file:/tmp/predictions.jsonl?size=50M&keep=3');
  });

  it.skipIf(!HELM)('refuses PREDICTION_LOG in extraEnv, pointing at predictionLog.existingSecret', () => {
    const fromExtraEnv = [
      '--set', 'extraEnv[0].name=PREDICTION_LOG',
      '--set', 'extraEnv[0].valueFrom.secretKeyRef.name=db',
      '--set', 'extraEnv[0].valueFrom.secretKeyRef.key=url',
    ];
    expect(helmTemplateFails(fromExtraEnv)).toContain('predictionLog.existingSecret');
  });

  it('the schema refuses a URL with a password in config.PREDICTION_LOG (it belongs in a Secret), and takes the rest', () => {
    const validate = compileSchema();
    const withLog = (value: string) => helmMerge(values, { config: { PREDICTION_LOG: value } });
    for (const ok of ['', 'file:/tmp/p.jsonl', 'file:/tmp/p.jsonl?size=10M&keep=2', 'postgres://logger@db:5432/ml?sslmode=require', 'postgresql://db/ml', 'https://events.example/in']) {
      expect(validate(withLog(ok)), ok).toBe(true);
      expect(() => loadConfig(configEnv(withLog(ok))), ok).not.toThrow();
    }
    for (const bad of ['postgres://logger:secret@db/ml', 'https://user:pw@events.example/in', 'kafka://broker:9092', '/tmp/p.jsonl']) {
      expect(validate(withLog(bad)), bad).toBe(false);
    }
    // The service itself takes a password in the URL: from a Secret, that is how it arrives.
    expect(() => loadConfig({ PREDICTION_LOG: 'postgres://logger:secret@db/ml' })).not.toThrow();
    expect(() => loadConfig({ PREDICTION_LOG: 'kafka://broker:9092' })).toThrow(ConfigError);
  });

  it('the schema and the service agree on PREDICTION_LOG_SAMPLE: a fraction from 0 to 1', () => {
    const validate = compileSchema();
    for (const [value, ok] of [[0, true], [0.5, true], [1, true], [1.5, false], [-0.1, false]] as const) {
      expect(validate(helmMerge(values, { config: { PREDICTION_LOG_SAMPLE: value } })), `schema: ${value}`).toBe(ok);
      const load = () => loadConfig({ PREDICTION_LOG_SAMPLE: String(value) });
      if (ok) expect(load).not.toThrow();
      else expect(load).toThrow(ConfigError);
    }
  });
});
