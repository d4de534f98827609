import { beforeAll, expect, it } from 'vitest';
import { useTestApp } from './support/test-app';
import { type CheckOutcomes, describeWithTritonclient, expectedIris, type InferSummary, runTritonclientChecks } from './support/tritonclient';

/*
 * NVIDIA's Python client, tritonclient.http, against /v2 over a real socket (the emulation of its
 * requests in open-inference-protocol.tritonclient.spec.ts, with the client itself).
 * test/tritonclient/http_client_checks.py runs the checks and reports what the client saw, one
 * JSON line each; the assertions are here. Probabilities are compared with onnxruntime-node's own
 * answer on the bundled files, within float32 tolerance.
 * Where the client and its Python are found, and why the specs may be skipped: test/support/tritonclient.ts.
 */

/** An iris answer: served by that version, one FP32 [rows, 3] output, binary or JSON as asked, the reference's probabilities. */
async function expectIrisAnswer(answer: InferSummary, version: string, binary: boolean): Promise<void> {
  const rows = answer.rows!;
  expect(answer).toMatchObject({ model_name: 'iris', model_version: version });
  expect(answer.outputs).toEqual([
    {
      name: 'probabilities',
      datatype: 'FP32',
      shape: [rows.length, 3],
      parameters: binary ? { binary_data_size: rows.length * 3 * 4 } : null,
      json_data: !binary,
    },
  ]);
  expect({ probabilities: answer.values }).toMatchModelOutput({ probabilities: await expectedIris(version, rows) });
}

describeWithTritonclient('tritonclient.http (NVIDIA) against /v2, over a real socket', (client) => {
  const server = useTestApp({ models: ['iris', 'digits'], listen: true });
  let checks: CheckOutcomes;
  beforeAll(async () => {
    checks = await runTritonclientChecks(client, 'http_client_checks.py', `127.0.0.1:${server.port}`);
  });

  it('is_server_live, is_server_ready', () => {
    expect(checks.result('server_live')).toBe(true);
    expect(checks.result('server_ready')).toBe(true);
  });

  it('is_model_ready: the default, a version, not an unknown version or model', () => {
    expect(checks.result('model_ready')).toEqual({ iris: true, 'iris@2': true, 'iris@9': false, lily: false });
  });

  it('get_server_metadata', () => {
    expect(checks.result('server_metadata')).toEqual({ name: 'onnx-model-server', version: expect.any(String), extensions: ['binary_tensor_data'] });
  });

  it('get_model_metadata, of the default and of version 2', () => {
    const iris = {
      name: 'iris',
      versions: ['1', '2'],
      platform: 'onnxruntime_onnx',
      inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, 4] }],
      outputs: [{ name: 'probabilities', datatype: 'FP32', shape: [-1, 3] }],
    };
    expect(checks.result('model_metadata')).toEqual({ iris, 'iris@2': iris });
  });

  it('infer with binary inputs and binary outputs (the client default), request id echoed', async () => {
    const answer = checks.result<InferSummary>('infer_binary');
    expect(answer.id).toBe('http-binary');
    await expectIrisAnswer(answer, '1', true);
  });

  it('infer with JSON inputs and a JSON output (binary_data=False)', async () => {
    const answer = checks.result<InferSummary>('infer_json');
    expect(answer.id).toBe('http-json');
    await expectIrisAnswer(answer, '1', false);
  });

  it('infer with model_version "1" and "2": each served by that version', async () => {
    const answers = checks.result<Record<string, InferSummary>>('infer_versions');
    await expectIrisAnswer(answers['1'], '1', true);
    await expectIrisAnswer(answers['2'], '2', true);
  });

  it('async_infer: 8 requests on a client with concurrency 8, alternating versions, each answered correctly', async () => {
    const answers = checks.result<InferSummary[]>('async_infer');
    expect(answers).toHaveLength(8);
    for (const [index, answer] of answers.entries()) {
      expect(answer.id).toBe(`http-async-${index}`);
      await expectIrisAnswer(answer, String(1 + (index % 2)), true);
    }
  });

  it('an unknown model: InferenceServerException 404 saying which models exist', () => {
    expect(checks.error('error_unknown_model')).toEqual({
      type: 'InferenceServerException',
      status: '404',
      message: 'model "lily" not found; available models: digits, iris',
    });
  });

  it('a wrong shape: InferenceServerException 400 naming the input and both shapes', () => {
    const error = checks.error('error_wrong_shape');
    expect(error).toMatchObject({ type: 'InferenceServerException', status: '400' });
    expect(error.message).toMatch(/input "input" has shape \[1, 5\], but the model expects \[-1, 4\]/);
  });

  it('every check the script knows reported', () => {
    const asserted = [
      'server_live', 'server_ready', 'model_ready', 'server_metadata', 'model_metadata', 'infer_binary', 'infer_json',
      'infer_versions', 'async_infer', 'error_unknown_model', 'error_wrong_shape',
    ];
    expect(checks.names().sort()).toEqual(asserted.sort());
  });
});
