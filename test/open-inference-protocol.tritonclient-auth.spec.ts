import { afterAll, beforeAll, expect, it } from 'vitest';
import { keysFileContent, SecretVolume } from './support/auth';
import { useTestApp } from './support/test-app';
import { type CheckError, type CheckOutcomes, describeWithTritonclient, expectedIris, runTritonclientChecks } from './support/tritonclient';

/*
 * NVIDIA's Python client with PREDICT_AUTH=keys: the key sent as request headers (Authorization:
 * Bearer, or X-API-Key) with tritonclient.http and tritonclient.grpc, over real sockets.
 * test/tritonclient/auth_checks.py runs the checks; the assertions are here.
 */

const KEY = 'triton-client-key-4e7a1c9b02';

describeWithTritonclient('tritonclient (NVIDIA), HTTP and gRPC, with an API key in its headers', (client) => {
  const volume = new SecretVolume(keysFileContent([{ id: 'triton-user', key: KEY, models: ['iris'] }]));
  afterAll(() => volume.remove());
  const server = useTestApp({ models: ['iris', 'digits'], listen: true, grpc: true, env: { PREDICT_AUTH: 'keys', API_KEYS_FILE: volume.file } });
  let checks: CheckOutcomes;
  beforeAll(async () => {
    checks = await runTritonclientChecks(client, 'auth_checks.py', `127.0.0.1:${server.port}`, [], 60_000, {
      API_KEY: KEY,
      GRPC_TARGET: `127.0.0.1:${server.grpcPort}`,
    });
  });

  const expectError = (error: CheckError, status: string, message: string | RegExp) => {
    expect(error.type).toBe('InferenceServerException');
    expect(error.status).toBe(status);
    if (typeof message === 'string') expect(error.message).toBe(message);
    else expect(error.message).toMatch(message);
  };

  it('infers with the key as a bearer token or in X-API-Key, over HTTP and gRPC', async () => {
    const expected = { model_version: '1', values: await expectedIris(1, [[5.1, 3.5, 1.4, 0.2]]) };
    for (const check of ['http_infer_bearer', 'http_infer_x_api_key', 'grpc_infer_bearer', 'grpc_infer_x_api_key']) {
      expect(checks.result(check), check).toMatchModelOutput(expected);
    }
    expect(checks.result('http_model_metadata')).toBe('iris');
    expect(checks.result('grpc_model_metadata')).toBe('iris');
    expect(checks.result('http_model_ready')).toBe(true);
  });

  it('reaches the server health without a key', () => {
    expect(checks.result('http_server_ready_without_key')).toBe(true);
    expect(checks.result('grpc_server_ready_without_key')).toBe(true);
  });

  it('is refused without the key (401, UNAUTHENTICATED), with a wrong one, and for a model outside its list (403, PERMISSION_DENIED)', () => {
    expectError(checks.error('http_infer_without_key'), '401', /^this API needs a credential: send Authorization: Bearer <API key>/);
    expectError(checks.error('http_infer_other_model'), '403', 'caller "triton-user" may not use model "digits"');
    expectError(checks.error('grpc_infer_without_key'), 'StatusCode.UNAUTHENTICATED', /this API needs a credential/);
    expectError(checks.error('grpc_infer_wrong_key'), 'StatusCode.UNAUTHENTICATED', /the API key is not known/);
    expectError(checks.error('grpc_infer_other_model'), 'StatusCode.PERMISSION_DENIED', /caller "triton-user" may not use model "digits"/);
  });

  it('every check the script knows reported', () => {
    expect(checks.names()).toHaveLength(14);
  });
});
