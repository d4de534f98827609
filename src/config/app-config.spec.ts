import { describe, expect, it } from 'vitest';
import { CONFIG_DEFAULTS, loadConfig, trustProxyOf } from './app-config';

describe('loadConfig', () => {
  it('uses the documented defaults', () => {
    expect({ ...loadConfig({}) }).toEqual(CONFIG_DEFAULTS);
  });

  it('reads and converts environment values', () => {
    const config = loadConfig({ PORT: '8080', MAX_INSTANCES: '16', LOG_LEVEL: 'debug', MODELS_DIR: '/models' });
    expect(config.PORT).toBe(8080);
    expect(config.MAX_INSTANCES).toBe(16);
    expect(config.LOG_LEVEL).toBe('debug');
    expect(config.MODELS_DIR).toBe('/models');
  });

  it('names every bad variable in one message', () => {
    expect(() => loadConfig({ PORT: 'http', LOG_LEVEL: 'loud', BODY_LIMIT_BYTES: '12.5' })).toThrow(
      /Invalid configuration: PORT="http": .*LOG_LEVEL="loud": .*BODY_LIMIT_BYTES="12.5": /,
    );
  });

  it('refuses a port out of range', () => {
    expect(() => loadConfig({ PORT: '70000' })).toThrow(/PORT="70000": PORT must not be greater than 65535/);
  });

  it('loads models eagerly without a memory budget by default, and refuses a budget that eager loading could not keep', () => {
    expect(loadConfig({})).toMatchObject({ MODEL_LOADING: 'eager', MODEL_LOAD_WAIT_MS: 10_000, MODEL_MEMORY_BUDGET_BYTES: 0 });
    expect(loadConfig({ MODEL_LOADING: 'lazy', MODEL_MEMORY_BUDGET_BYTES: '4000000000' }).MODEL_MEMORY_BUDGET_BYTES).toBe(4e9);
    expect(() => loadConfig({ MODEL_MEMORY_BUDGET_BYTES: '4000000000' })).toThrow(
      /MODEL_MEMORY_BUDGET_BYTES="4000000000": MODEL_MEMORY_BUDGET_BYTES needs MODEL_LOADING=lazy/,
    );
    expect(() => loadConfig({ MODEL_LOADING: 'sometimes' })).toThrow(/MODEL_LOADING="sometimes": MODEL_LOADING must be one of: eager, lazy/);
  });

  it('trusts no proxy and sends no HSTS by default', () => {
    const config = loadConfig({});
    expect(trustProxyOf(config)).toBeUndefined();
    expect(config.HSTS_MAX_AGE).toBe(0);
  });

  it('reads TRUST_PROXY as the list Fastify takes, and refuses trusting every peer with the entry named', () => {
    expect(trustProxyOf(loadConfig({ TRUST_PROXY: '10.0.0.0/8, uniquelocal' }))).toEqual(['10.0.0.0/8', 'uniquelocal']);
    expect(() => loadConfig({ TRUST_PROXY: 'true' })).toThrow(/TRUST_PROXY="true": TRUST_PROXY entry "true" is not an IP address, a CIDR range/);
    expect(() => loadConfig({ HSTS_MAX_AGE: '-1' })).toThrow(/HSTS_MAX_AGE="-1": HSTS_MAX_AGE must not be less than 0/);
  });
});
