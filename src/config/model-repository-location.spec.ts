import { describe, expect, it } from 'vitest';
import { loadConfig } from './app-config';
import { modelRepositoryOf, parseModelRepository } from './model-repository-location';

describe('parseModelRepository', () => {
  it('reads s3:// as a bucket and a prefix ending in "/", and anything else as a directory', () => {
    expect(parseModelRepository('s3://models/prod/onnx/')).toEqual({ kind: 's3', bucket: 'models', prefix: 'prod/onnx/', uri: 's3://models/prod/onnx' });
    expect(parseModelRepository('s3://models')).toEqual({ kind: 's3', bucket: 'models', prefix: '', uri: 's3://models' });
    expect(parseModelRepository('s3://models/')).toEqual({ kind: 's3', bucket: 'models', prefix: '', uri: 's3://models' });
    expect(parseModelRepository('/mnt/models')).toEqual({ kind: 'local', path: '/mnt/models' });
    expect(parseModelRepository('./models')).toEqual({ kind: 'local', path: './models' });
  });

  it('refuses what it could not read, saying what is expected', () => {
    expect(() => parseModelRepository('gs://models')).toThrow(
      'must be a directory or s3://bucket/prefix (gs:// is not read; S3-compatible stores such as MinIO, R2 or GCS are reached with s3:// and AWS_ENDPOINT_URL_S3)',
    );
    expect(() => parseModelRepository('s3://ab')).toThrow('s3:// needs a bucket name of 3 to 63 letters, digits, ".", "-" or "_", got "ab"');
    expect(() => parseModelRepository('s3:///prefix')).toThrow('got ""');
    expect(() => parseModelRepository('s3://models/a//b')).toThrow('without "." or ".." segments');
    expect(() => parseModelRepository('s3://models/../b')).toThrow('without "." or ".." segments');
  });
});

describe('MODEL_REPOSITORY and MODELS_DIR', () => {
  it('reads MODELS_DIR while MODEL_REPOSITORY is empty, and MODEL_REPOSITORY when both are set', () => {
    expect(modelRepositoryOf(loadConfig({ MODELS_DIR: '/app/models' }))).toEqual({ kind: 'local', path: '/app/models' });
    expect(modelRepositoryOf(loadConfig({ MODELS_DIR: '/app/models', MODEL_REPOSITORY: 's3://models/prod' }))).toMatchObject({ kind: 's3', uri: 's3://models/prod' });
  });

  it('stops the service at start on a repository it cannot read, naming the variable', () => {
    expect(() => loadConfig({ MODEL_REPOSITORY: 'https://example.com/models' })).toThrow(
      /MODEL_REPOSITORY="https:\/\/example.com\/models": MODEL_REPOSITORY must be a directory or s3:\/\/bucket\/prefix \(https:\/\/ is not read/,
    );
    expect(() => loadConfig({ MODELS_DIR: 's3://x' })).toThrow(/MODELS_DIR="s3:\/\/x": MODELS_DIR s3:\/\/ needs a bucket name/);
    expect(() => loadConfig({ MODEL_DOWNLOAD_TIMEOUT_MS: '10' })).toThrow(/MODEL_DOWNLOAD_TIMEOUT_MS must not be less than 1000/);
  });
});
