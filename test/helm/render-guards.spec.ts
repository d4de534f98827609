import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BAD_VALUES_DIR, CHART_DIR, FIXTURES_DIR, badValuesFiles, type JsonObject } from '../support/chart';
import { HELM, byKind, helm, helmTemplate, helmTemplateFails, podOf } from '../support/helm';

/**
 * Values the schema cannot refuse on its own (they depend on each other or on what the chart sets
 * itself): the templates `fail` on them with a message naming the value, and `helm template` exits non-zero.
 */

describe('render-time guards', () => {
  it.skipIf(!HELM)('helm template rejects every bad values file', () => {
    for (const file of badValuesFiles) {
      const result = helm(['template', 'test-release', CHART_DIR, '-f', join(BAD_VALUES_DIR, file)]);
      expect(result.status, `${file} should fail helm template`).not.toBe(0);
    }
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

  it.skipIf(!HELM)('refuses PREDICT_AUTH without what it needs: a keys file for keys, issuer, audience and one JWKS for jwt', () => {
    expect(helmTemplateFails(['--set', 'config.PREDICT_AUTH=keys'])).toContain('config.PREDICT_AUTH includes keys: set apiKeys.existingSecret.name');
    const jwt = ['--set', 'config.PREDICT_AUTH=jwt', '--set', 'config.JWT_ISSUER=https://idp', '--set', 'config.JWT_AUDIENCE=me'];
    expect(helmTemplateFails(['--set', 'config.PREDICT_AUTH=jwt'])).toContain('set config.JWT_ISSUER and config.JWT_AUDIENCE');
    expect(helmTemplateFails(jwt)).toContain('set exactly one of config.JWT_JWKS_URL and config.JWT_JWKS_FILE');
    expect(helmTemplateFails([...jwt, '--set', 'config.JWT_JWKS_URL=https://idp/jwks', '--set', 'config.JWT_JWKS_FILE=/jwks.json'])).toContain(
      'set exactly one of',
    );
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

  it.skipIf(!HELM)('refuses a gRPC port equal to the HTTP one, in the pod or in the Service, unless gRPC is off', () => {
    expect(helmTemplateFails(['--set', 'config.GRPC_PORT=3000'])).toContain('config.GRPC_PORT (3000) must differ from config.PORT');
    expect(helmTemplateFails(['--set', 'config.PORT=8001'])).toContain('config.GRPC_PORT (8001) must differ from config.PORT');
    expect(helmTemplateFails(['--set', 'service.grpcPort=80'])).toContain('service.grpcPort (80) must differ from service.port');
    // gRPC off: its Service port is not rendered, so it may be anything.
    const off = helmTemplate(undefined, ['--set', 'config.GRPC_PORT=0', '--set', 'service.grpcPort=80']);
    expect(((byKind(off, 'Service').spec as JsonObject).ports as JsonObject[]).map((p) => p.name)).toEqual(['http']);
  });

  it.skipIf(!HELM)('helm applies the schema to the gRPC values', () => {
    expect(helmTemplateFails(['--set', 'config.GRPC_PORT=70000'])).toMatch(/GRPC_PORT/);
    expect(helmTemplateFails(['--set-string', 'config.GRPC_PORT=8001'])).toMatch(/GRPC_PORT/);
    expect(helmTemplateFails(['--set', 'config.GRPC_MAX_MESSAGE_BYTES=1023'])).toMatch(/GRPC_MAX_MESSAGE_BYTES/);
    expect(helmTemplateFails(['--set', 'service.grpcPort=0'])).toMatch(/grpcPort/);
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
});
