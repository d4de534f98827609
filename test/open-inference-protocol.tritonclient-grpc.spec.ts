import { beforeAll, describe, expect, it } from 'vitest';
import { useTestApp } from './support/test-app';
import { type CheckError, type CheckOutcomes, describeWithTritonclient, expectedIris, type InferSummary, runTritonclientChecks } from './support/tritonclient';

/*
 * NVIDIA's Python client, tritonclient.grpc, against the service's gRPC port (the Open Inference
 * Protocol's gRPC half) over a real socket. test/tritonclient/grpc_client_checks.py runs the checks
 * and reports what the client saw, one JSON line each; the assertions are here. Probabilities are
 * compared with onnxruntime-node's own answer on the bundled files, within float32 tolerance.
 * Where the client and its Python are found, and why the specs may be skipped: test/support/tritonclient.ts.
 */

const SCRIPT = 'grpc_client_checks.py';
/** The app's gRPC message limit: small, so that a big batch exceeds it. */
const MAX_MESSAGE_BYTES = 65_536;

/** An iris answer: served by that version, one FP32 [rows, 3] output read from raw_output_contents, the reference's probabilities. */
async function expectIrisAnswer(answer: InferSummary, version: string): Promise<void> {
  const rows = answer.rows!;
  expect(answer).toMatchObject({ model_name: 'iris', model_version: version, raw_output_count: 1 });
  expect(answer.outputs).toEqual([{ name: 'probabilities', datatype: 'FP32', shape: [rows.length, 3] }]);
  expect({ probabilities: answer.values }).toMatchModelOutput({ probabilities: await expectedIris(version, rows) });
}

function expectError(error: CheckError, status: string, message: RegExp): void {
  expect(error.type).toBe('InferenceServerException');
  expect(error.status).toBe(`StatusCode.${status}`);
  expect(error.message).toMatch(message);
}

describeWithTritonclient('tritonclient.grpc (NVIDIA) against the gRPC port, over a real socket', (client) => {
  describe('iris (versions 1 and 2, labels stable and canary) and digits', () => {
    const server = useTestApp({ models: ['iris', 'digits'], listen: true, grpc: true, env: { GRPC_MAX_MESSAGE_BYTES: String(MAX_MESSAGE_BYTES) } });
    let checks: CheckOutcomes;
    beforeAll(async () => {
      checks = await runTritonclientChecks(client, SCRIPT, `127.0.0.1:${server.grpcPort}`);
    });

    it('is_server_live, is_server_ready', () => {
      expect(checks.result('server_live')).toBe(true);
      expect(checks.result('server_ready')).toBe(true);
    });

    it('is_model_ready: the default, each version, not an unknown version or model', () => {
      expect(checks.result('model_ready')).toEqual({ iris: true, 'iris@1': true, 'iris@2': true, 'iris@9': false, digits: true, lily: false });
    });

    it('get_server_metadata', () => {
      expect(checks.result('server_metadata')).toEqual({ name: 'onnx-model-server', version: expect.any(String), extensions: ['binary_tensor_data'] });
    });

    it('get_model_metadata (as_json: int64 shapes are strings in protobuf JSON)', () => {
      const iris = {
        name: 'iris',
        versions: ['1', '2'],
        platform: 'onnxruntime_onnx',
        inputs: [{ name: 'input', datatype: 'FP32', shape: ['-1', '4'] }],
        outputs: [{ name: 'probabilities', datatype: 'FP32', shape: ['-1', '3'] }],
      };
      expect(checks.result('model_metadata')).toEqual({
        iris,
        'iris@2': iris,
        digits: {
          name: 'digits',
          versions: ['1'],
          platform: 'onnxruntime_onnx',
          inputs: [{ name: 'input', datatype: 'FP32', shape: ['-1', '1', '28', '28'] }],
          outputs: [{ name: 'probabilities', datatype: 'FP32', shape: ['-1', '10'] }],
        },
      });
    });

    it('infer with raw tensors (the client default): the request id comes back, the default version (1) serves', async () => {
      const answer = checks.result<InferSummary>('infer_raw');
      expect(answer.rows).toHaveLength(4);
      expect(answer.id).toBe('grpc-raw-1');
      await expectIrisAnswer(answer, '1');
    });

    it('infer with InferRequestedOutput naming the output', async () => {
      const answer = checks.result<InferSummary>('infer_requested_output');
      expect(answer.id).toBe('grpc-named-output');
      await expectIrisAnswer(answer, '1');
    });

    it('infer with model_version "1" and "2": each served by that version', async () => {
      const answers = checks.result<Record<string, InferSummary>>('infer_versions');
      expect(Object.keys(answers)).toEqual(['1', '2']);
      await expectIrisAnswer(answers['1'], '1');
      await expectIrisAnswer(answers['2'], '2');
      // The versions really differ on these flowers, so the comparison above tells them apart.
      expect({ probabilities: answers['2'].values }).not.toMatchModelOutput({ probabilities: answers['1'].values });
    });

    it('infer with a label from models/iris/config.json as model_version (stable=1, canary=2)', async () => {
      const answers = checks.result<Record<string, InferSummary>>('infer_labels');
      await expectIrisAnswer(answers.stable, '1');
      await expectIrisAnswer(answers.canary, '2');
    });

    it('async_infer: 48 requests in flight at once, alternating versions, each answered correctly', async () => {
      const answers = checks.result<(InferSummary & { error?: CheckError; missing?: boolean })[]>('async_infer');
      expect(answers).toHaveLength(48);
      for (const [index, answer] of answers.entries()) {
        expect(answer.missing, `async-${index} got no answer`).toBeUndefined();
        expect(answer.error, `async-${index}`).toBeUndefined();
        expect(answer.id).toBe(`async-${index}`);
        await expectIrisAnswer(answer, String(1 + (index % 2)));
      }
    });

    it('infer digits with a batch of 5 blank images: FP32 [5, 10] softmax probabilities', () => {
      const answer = checks.result<{ id: string; model_version: string; outputs: unknown[]; raw_output_count: number; row_sums: number[]; argmax: number[] }>(
        'infer_digits',
      );
      expect(answer).toMatchObject({ id: 'digits-batch', model_name: 'digits', model_version: '1', raw_output_count: 1 });
      expect(answer.outputs).toEqual([{ name: 'probabilities', datatype: 'FP32', shape: [5, 10] }]);
      expect({ probabilities: answer.row_sums }).toMatchModelOutput({ probabilities: [1, 1, 1, 1, 1] });
      // Five identical images, one class.
      expect(new Set(answer.argmax).size).toBe(1);
    });

    it('INVALID_ARGUMENT: FP64 for an FP32 input', () => {
      expectError(checks.error('error_wrong_datatype'), 'INVALID_ARGUMENT', /input "input" has datatype FP64, but the model expects FP32/);
    });

    it('INVALID_ARGUMENT: shape [1, 5] for [-1, 4]', () => {
      expectError(checks.error('error_wrong_shape'), 'INVALID_ARGUMENT', /input "input" has shape \[1, 5\], but the model expects \[-1, 4\]/);
    });

    it('INVALID_ARGUMENT: raw contents shorter than the shape needs', () => {
      expectError(checks.error('error_short_raw_contents'), 'INVALID_ARGUMENT', /input "input".*28 bytes.*shape \[2, 4\] of FP32 needs 32/);
    });

    it('INVALID_ARGUMENT: an unknown input name', () => {
      expectError(checks.error('error_unknown_input'), 'INVALID_ARGUMENT', /unknown input "petals".*missing input "input"/);
    });

    it('INVALID_ARGUMENT: an unknown requested output', () => {
      expectError(checks.error('error_unknown_output'), 'INVALID_ARGUMENT', /unknown output "logits".*has outputs: probabilities/);
    });

    it('INVALID_ARGUMENT: no inputs, from the client and from the generated stub', () => {
      const { client: viaClient, stub: viaStub } = checks.result<Record<'client' | 'stub', { error?: CheckError }>>('error_no_inputs');
      expectError(viaClient.error!, 'INVALID_ARGUMENT', /the request has no inputs/);
      expect(viaStub.error).toEqual({ type: 'RpcError', status: 'StatusCode.INVALID_ARGUMENT', message: viaClient.error!.message });
    });

    it('NOT_FOUND: an unknown model (infer and get_model_metadata), saying which models exist', () => {
      expectError(checks.error('error_unknown_model'), 'NOT_FOUND', /model "lily" not found; available models: digits, iris/);
      expectError(checks.error('error_unknown_model_metadata'), 'NOT_FOUND', /model "lily" not found/);
    });

    it('NOT_FOUND: an unknown version, saying which versions and labels exist', () => {
      expectError(checks.error('error_unknown_version'), 'NOT_FOUND', /model "iris": version 9 does not exist; available versions: 1, 2; labels: stable=1, canary=2/);
    });

    it('INVALID_ARGUMENT: a malformed version', () => {
      expectError(checks.error('error_malformed_version'), 'INVALID_ARGUMENT', /positive integer version or a label.*"x y"/);
    });

    it('RESOURCE_EXHAUSTED: a message over GRPC_MAX_MESSAGE_BYTES', () => {
      expectError(checks.error('error_message_too_large'), 'RESOURCE_EXHAUSTED', new RegExp(`larger than max \\(\\d+ vs\\.? ${MAX_MESSAGE_BYTES}\\)`));
    });

    it('UNIMPLEMENTED: the Triton-only RPCs (model config, statistics, repository index)', () => {
      expectError(checks.error('error_model_config'), 'UNIMPLEMENTED', /ModelConfig/);
      expectError(checks.error('error_inference_statistics'), 'UNIMPLEMENTED', /ModelStatistics/);
      expectError(checks.error('error_repository_index'), 'UNIMPLEMENTED', /RepositoryIndex/);
    });

    it('the same client still infers after every error above', async () => {
      await expectIrisAnswer(checks.result<InferSummary>('infer_after_errors'), '1');
    });

    it('grpc.health.v1: Watch reaches SERVING; then Check says SERVING for the server and the inference service, NOT_FOUND for another', () => {
      const { watch, check } = checks.result<{ watch: { result?: string[]; error?: CheckError }; check: Record<string, unknown> }>('health');
      expect(watch.error).toBeUndefined();
      // Readiness reaches grpc.health.v1 within a refresh (1 s): the stream may start with NOT_SERVING.
      expect(watch.result!.at(-1)).toBe('SERVING');
      expect(watch.result!.slice(0, -1).every((status) => status === 'NOT_SERVING')).toBe(true);
      expect(check).toEqual({
        '(server)': { result: 'SERVING' },
        'inference.GRPCInferenceService': { result: 'SERVING' },
        'no.such.Service': { error: { type: 'RpcError', status: 'StatusCode.NOT_FOUND', message: expect.stringContaining('no.such.Service') } },
      });
    });

    it('every check the script knows reported', () => {
      // A check added to the script but not asserted here would pass unnoticed: name them all.
      const asserted = [
        'server_live', 'server_ready', 'model_ready', 'server_metadata', 'model_metadata', 'infer_raw', 'infer_requested_output',
        'infer_versions', 'infer_labels', 'async_infer', 'infer_digits', 'error_wrong_datatype', 'error_wrong_shape',
        'error_short_raw_contents', 'error_unknown_input', 'error_unknown_output', 'error_no_inputs', 'error_unknown_model',
        'error_unknown_version', 'error_malformed_version', 'error_unknown_model_metadata', 'error_message_too_large',
        'error_model_config', 'error_inference_statistics', 'error_repository_index', 'infer_after_errors', 'health',
      ];
      expect(checks.names().sort()).toEqual(asserted.sort());
    });
  });

  describe('overloaded: MAX_QUEUE_SIZE=1, one worker, no inline inference', () => {
    const server = useTestApp({
      models: ['digits'],
      grpc: true,
      env: { MAX_QUEUE_SIZE: '1', INFERENCE_WORKERS: '1', INLINE_INFERENCE_MAX_US: '0' },
    });
    let checks: CheckOutcomes;
    beforeAll(async () => {
      checks = await runTritonclientChecks(client, SCRIPT, `127.0.0.1:${server.grpcPort}`, ['overload']);
    });

    it('64 concurrent async_infer of 8 digits each: some UNAVAILABLE saying to retry, every other one answered correctly', () => {
      const answers = checks.result<{ error?: CheckError; missing?: boolean; id?: string; model_version?: string; outputs?: unknown[]; row_sums?: number[] }[]>(
        'overload',
      );
      expect(answers).toHaveLength(64);
      const refused = answers.filter((answer) => answer.error);
      const served = answers.filter((answer) => !answer.error);
      for (const error of refused.map((answer) => answer.error!)) {
        expectError(error, 'UNAVAILABLE', /model digits\/1 is overloaded: .*MAX_QUEUE_SIZE 1.*retry/);
      }
      for (const [index, answer] of answers.entries()) {
        expect(answer.missing, `overload-${index} got no answer`).toBeUndefined();
        if (answer.error) continue;
        expect(answer).toMatchObject({ id: `overload-${index}`, model_version: '1' });
        expect(answer.outputs).toEqual([{ name: 'probabilities', datatype: 'FP32', shape: [8, 10] }]);
        expect({ probabilities: answer.row_sums }).toMatchModelOutput({ probabilities: Array(8).fill(1) });
      }
      expect(refused.length).toBeGreaterThan(0);
      expect(served.length).toBeGreaterThan(0);
    });
  });
});
