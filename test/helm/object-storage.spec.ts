// class-transformer's @Type decorator in app-config.ts needs the Reflect metadata API loaded first.
import 'reflect-metadata';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/app-config';
import { modelRepositoryOf } from '../../src/config/model-repository-location';
import { FIXTURES_DIR } from '../support/chart';
import { HELM, byKind, envOf, helmNotes, helmTemplate, helmTemplateFails, podOf } from '../support/helm';

/**
 * models.source "s3" in the chart: the service reads the bucket itself (MODEL_REPOSITORY), with the
 * SDK's standard variables, credentials from a Secret or an IAM role, its cache in an emptyDir, and
 * no models volume.
 */

const S3_FILE = join(FIXTURES_DIR, 'good-s3.yaml');

describe('chart: models from object storage', () => {
  it.skipIf(!HELM)('sets the repository, endpoint, region and cache, and takes the access key from the Secret, never as a value', () => {
    const { spec } = podOf(byKind(helmTemplate(S3_FILE), 'Deployment'));
    const [container] = spec.containers;
    const env = envOf(container);
    expect(env).toMatchObject({
      MODEL_REPOSITORY: 's3://models/prod',
      MODEL_CACHE_DIR: '/var/cache/onnx-models',
      AWS_ENDPOINT_URL_S3: 'http://minio.storage.svc:9000',
      AWS_REGION: 'us-east-1',
    });
    // No MODELS_DIR to be ignored, and the service reads what the chart rendered as the bucket.
    expect(env).not.toHaveProperty('MODELS_DIR');
    expect(modelRepositoryOf(loadConfig(env as Record<string, string>))).toMatchObject({ kind: 's3', bucket: 'models', prefix: 'prod/' });
    expect(container.env.filter((e) => e.name.startsWith('AWS_') && e.valueFrom)).toEqual([
      { name: 'AWS_ACCESS_KEY_ID', valueFrom: { secretKeyRef: { name: 'onnx-models-s3', key: 'AWS_ACCESS_KEY_ID' } } },
      { name: 'AWS_SECRET_ACCESS_KEY', valueFrom: { secretKeyRef: { name: 'onnx-models-s3', key: 'AWS_SECRET_ACCESS_KEY' } } },
    ]);
    expect(container.volumeMounts).toContainEqual({ name: 'model-cache', mountPath: '/var/cache/onnx-models' });
    expect(container.volumeMounts.map((mount) => mount.name)).not.toContain('models');
    expect(spec.volumes).toContainEqual({ name: 'model-cache', emptyDir: { sizeLimit: '8Gi' } });
    expect(spec.volumes.map((volume) => volume.name)).not.toContain('models');
    expect(spec.initContainers).toBeUndefined();
    expect(helmNotes([], S3_FILE)).toContain(
      'Models: read from s3://models/prod at http://minio.storage.svc:9000 and polled every 2000 ms, cached in /var/cache/onnx-models (an emptyDir).',
    );
  });

  it.skipIf(!HELM)('with an IAM role on the ServiceAccount (IRSA): no key, no endpoint, no region unless given', () => {
    const irsa = [
      '--set', 'models.source=s3',
      '--set', 'models.s3.uri=s3://my-bucket/onnx',
      '--set', 'serviceAccount.annotations.eks\\.amazonaws\\.com/role-arn=arn:aws:iam::123456789012:role/onnx-models-reader',
    ];
    const manifests = helmTemplate(undefined, irsa);
    const [container] = podOf(byKind(manifests, 'Deployment')).spec.containers;
    expect(container.env.map((e) => e.name).filter((name) => name.startsWith('AWS_'))).toEqual([]);
    expect(envOf(container).MODEL_REPOSITORY).toBe('s3://my-bucket/onnx');
    expect(byKind(manifests, 'ServiceAccount').metadata.annotations).toEqual({ 'eks.amazonaws.com/role-arn': 'arn:aws:iam::123456789012:role/onnx-models-reader' });
  });

  it.skipIf(!HELM)('refuses an s3:// repository in config (it would have no cache volume) and repeating the chart\'s AWS variables in extraEnv', () => {
    expect(helmTemplateFails(['--set', 'config.MODEL_REPOSITORY=s3://models/prod'])).toContain('set models.source to "s3" and models.s3.uri instead');
    const region = ['--set', 'extraEnv[0].name=AWS_REGION', '--set', 'extraEnv[0].value=eu-west-1'];
    expect(helmTemplateFails(region, S3_FILE)).toContain('extraEnv[0]: AWS_REGION is set by the chart from models.s3');
    expect(helmTemplateFails(['--set', 'extraEnv[0].name=AWS_ACCESS_KEY_ID', '--set', 'extraEnv[0].value=x'], S3_FILE)).toContain('AWS_ACCESS_KEY_ID is set by the chart');
    // Without a region in models.s3, extraEnv may carry the SDK's own variables.
    const [container] = podOf(byKind(helmTemplate(S3_FILE, ['--set', 'models.s3.region=', ...region]), 'Deployment')).spec.containers;
    expect(container.env.filter((e) => e.name === 'AWS_REGION')).toEqual([{ name: 'AWS_REGION', value: 'eu-west-1' }]);
  });
});
