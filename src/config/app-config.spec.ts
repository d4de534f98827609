import { describe, expect, it } from 'vitest';
import { CONFIG_DEFAULTS, loadConfig } from './app-config';

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
});
