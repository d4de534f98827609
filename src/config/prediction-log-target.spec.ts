import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './app-config';
import { describeTarget, fileOfProcess, parseLogTarget } from './prediction-log-target';

describe('parseLogTarget (PREDICTION_LOG)', () => {
  it('is off when empty', () => {
    expect(parseLogTarget('')).toBeUndefined();
  });

  it('reads a file target with its rotation defaults and options', () => {
    expect(parseLogTarget('file:/var/log/p.jsonl')).toEqual({ sink: 'file', path: '/var/log/p.jsonl', size: '100M', keep: 10 });
    expect(parseLogTarget('file:/var/log/p.jsonl?size=5K&keep=3')).toEqual({ sink: 'file', path: '/var/log/p.jsonl', size: '5K', keep: 3 });
    expect(parseLogTarget('file:logs/p.jsonl')).toMatchObject({ path: path.resolve('logs/p.jsonl') });
  });

  it('reads database and HTTP targets, keeping the URL as given', () => {
    expect(parseLogTarget('postgres://u:p@db:5432/ml')).toEqual({ sink: 'postgres', url: 'postgres://u:p@db:5432/ml' });
    expect(parseLogTarget('postgresql://db/ml?sslmode=require')).toEqual({ sink: 'postgres', url: 'postgresql://db/ml?sslmode=require' });
    expect(parseLogTarget('https://events.example/kserve')).toEqual({ sink: 'http', url: 'https://events.example/kserve' });
  });

  it.each([
    ['file:', 'needs a file path'],
    ['file:/var/log/', 'needs a file path'],
    ['file:/p.jsonl?size=10', 'size=10 must be a number followed by B, K, M or G'],
    ['file:/p.jsonl?keep=0', 'keep=0 must be an integer'],
    ['file:/p.jsonl?rotate=1', 'unknown option rotate'],
    ['kafka://broker:9092', 'must be empty, file:<path>'],
    ['/var/log/p.jsonl', 'must be empty, file:<path>'],
    ['http://', 'URL'],
  ])('refuses %s', (value, problem) => {
    expect(() => parseLogTarget(value)).toThrow(problem);
  });
});

describe('fileOfProcess', () => {
  it('keeps the path for a single process and puts the process index before the extension otherwise', () => {
    expect(fileOfProcess('/logs/predictions.jsonl', 1, false)).toBe('/logs/predictions.jsonl');
    expect(fileOfProcess('/logs/predictions.jsonl', 2, true)).toBe('/logs/predictions-2.jsonl');
    expect(fileOfProcess('/logs/predictions', 1, true)).toBe('/logs/predictions-1');
  });
});

describe('describeTarget', () => {
  it('never shows a password or the query of a URL', () => {
    const shown = describeTarget({ sink: 'postgres', url: 'postgres://logger:s3cret@db:5432/ml?password=again' });
    expect(shown).toBe('postgres://logger@db:5432/ml');
    expect(describeTarget({ sink: 'http', url: 'https://u:pw@events.example/in?token=t' })).toBe('https://u@events.example/in');
  });
});

describe('PREDICTION_LOG in the configuration', () => {
  it('is validated at start with the other settings, and its value (it may hold a password) is never shown', () => {
    expect(loadConfig({ PREDICTION_LOG: 'postgres://logger:secret@db/ml' }).PREDICTION_LOG).toBe('postgres://logger:secret@db/ml');
    let message = '';
    try {
      loadConfig({ PREDICTION_LOG: 'postgresql://logger:secret@/ml', PREDICTION_LOG_SAMPLE: '2' });
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      message = (error as Error).message;
    }
    expect(message).toContain('PREDICTION_LOG=(hidden): PREDICTION_LOG is not a valid URL');
    expect(message).toContain('PREDICTION_LOG_SAMPLE="2"');
    expect(message).not.toContain('secret');
  });
});
