import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { describe, expect, it } from 'vitest';
import { irisProbabilities } from './support/iris';
import { useTestApp } from './support/test-app';
import { float32s, frameInferRequest, parseInferResponse, rawBytes, type InferResponseHeader } from './support/v2-wire';

/*
 * The wire format of NVIDIA's Python tritonclient (tritonclient.http), checked
 * byte for byte: this test EMULATES ITS REQUESTS over real HTTP as its HTTP
 * client builds them (the real client runs in open-inference-protocol.tritonclient-http.spec.ts):
 * - the same URLs (v2/health/live, v2/health/ready, v2/models/<m>[/versions/<v>]/ready,
 *   v2, v2/models/<m>[/versions/<v>], v2/models/<m>[/versions/<v>]/infer);
 * - POST .../infer with NO Content-Type header, lower-case header names, and
 *   inference-header-content-length only when binary tensors follow the JSON;
 * - the JSON body as its _get_inference_request writes it: "id" (if any), "inputs",
 *   "outputs" (if any), then "parameters"; binary_data_output: true when no outputs are
 *   named (its default: binary outputs); InferRequestedOutput(binary_data=...) as
 *   {"name", "parameters": {"binary_data"}}; InferInput.set_data_from_numpy:
 *   binary by default ({"parameters": {"binary_data_size"}} and raw little-endian bytes),
 *   or JSON data as numpy's .item() values (float32 widened to double);
 * - answers read as its InferResult reads them: status 200 or {"error"}, the JSON
 *   header of inference-header-content-length bytes, then each binary output in order.
 * The served probabilities are compared with onnxruntime-node on the bundled iris files,
 * within float32 tolerance (test/support/close-to.ts).
 */

interface HttpAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

const FLOWERS = [
  [5.1, 3.5, 1.4, 0.2],
  [6.7, 3.0, 5.2, 2.3],
  [5.9, 3.0, 4.2, 1.5],
];

describe('a tritonclient-style client (emulated) against the bundled iris model over real HTTP', () => {
  const server = useTestApp({ models: ['iris'], listen: true });

  /** One request as geventhttpclient sends it for tritonclient: given headers only, lower-case, no Content-Type. */
  function send(method: 'GET' | 'POST', uri: string, body?: Buffer, headers: Record<string, string> = {}): Promise<HttpAnswer> {
    return new Promise((resolve, reject) => {
      const request = httpRequest(
        {
          host: '127.0.0.1',
          port: server.port,
          method,
          path: `/${uri}`,
          headers: { 'user-agent': 'tritonclient-emulation', ...headers, ...(body ? { 'content-length': String(body.length) } : {}) },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => resolve({ status: response.statusCode!, headers: response.headers, body: Buffer.concat(chunks) }));
          response.on('error', reject);
        },
      );
      request.on('error', reject);
      request.end(body);
    });
  }

  /** tritonclient's _get_error: any status but 200 raises with the "error" of the JSON body. */
  function raiseIfError(answer: HttpAnswer): void {
    if (answer.status !== 200) throw new Error(`InferenceServerException [${answer.status}]: ${JSON.parse(answer.body.toString()).error}`);
  }

  interface InferInput {
    name: string;
    shape: number[];
    datatype: 'FP32';
    values: Float32Array;
    binary: boolean;
  }

  /** InferenceServerClient.infer(model_name, inputs, model_version, outputs, request_id). */
  async function infer(
    model: string,
    inputs: InferInput[],
    options: { version?: string; outputs?: { name: string; binary_data: boolean }[]; requestId?: string } = {},
  ): Promise<{ header: InferResponseHeader; asNumpy: (name: string) => number[]; answer: HttpAnswer }> {
    const request: Record<string, unknown> = {};
    if (options.requestId) request.id = options.requestId;
    request.inputs = inputs.map((input) => ({
      name: input.name,
      shape: input.shape,
      datatype: input.datatype,
      ...(input.binary ? { parameters: { binary_data_size: input.values.byteLength } } : { data: Array.from(input.values) }),
    }));
    if (options.outputs) {
      request.outputs = options.outputs.map((output) => ({ name: output.name, parameters: { binary_data: output.binary_data } }));
    } else {
      request.parameters = { binary_data_output: true };
    }
    const raw = inputs.filter((input) => input.binary).map((input) => rawBytes(input.values));
    const { body, headerLength } = frameInferRequest(request, raw);
    const uri = options.version ? `v2/models/${model}/versions/${options.version}/infer` : `v2/models/${model}/infer`;
    const answer = await send('POST', uri, body, raw.length ? { 'inference-header-content-length': String(headerLength) } : {});
    raiseIfError(answer);

    const { header, binary } = parseInferResponse(answer.body, answer.headers);
    const asNumpy = (name: string): number[] => {
      const output = header.outputs.find((candidate) => candidate.name === name)!;
      const bytes = binary.get(name);
      if (!bytes) return output.data as number[];
      expect(output.datatype).toBe('FP32');
      return float32s(bytes);
    };
    return { header, asNumpy, answer };
  }

  const input = (rows: number[][], binary: boolean): InferInput => ({
    name: 'input',
    shape: [rows.length, 4],
    datatype: 'FP32',
    values: Float32Array.from(rows.flat()),
    binary,
  });

  it('is_server_live, is_server_ready, is_model_ready', async () => {
    expect((await send('GET', 'v2/health/live')).status).toBe(200);
    expect((await send('GET', 'v2/health/ready')).status).toBe(200);
    expect((await send('GET', 'v2/models/iris/ready')).status).toBe(200);
    expect((await send('GET', 'v2/models/iris/versions/1/ready')).status).toBe(200);
    expect((await send('GET', 'v2/models/iris/versions/2/ready')).status).toBe(200);
    // is_model_ready answers False for anything but 200.
    expect((await send('GET', 'v2/models/iris/versions/3/ready')).status).not.toBe(200);
    expect((await send('GET', 'v2/models/lily/ready')).status).not.toBe(200);
  });

  it('get_server_metadata', async () => {
    const answer = await send('GET', 'v2');
    raiseIfError(answer);
    const metadata = JSON.parse(answer.body.toString());
    expect(metadata.name).toBe('onnx-model-server');
    expect(typeof metadata.version).toBe('string');
    expect(metadata.extensions).toContain('binary_tensor_data');
  });

  it.each([
    ['v2/models/iris', '1'],
    ['v2/models/iris/versions/1', '1'],
    ['v2/models/iris/versions/2', '2'],
  ])('get_model_metadata: %s', async (uri, version) => {
    const answer = await send('GET', uri);
    raiseIfError(answer);
    expect(answer.headers['x-model-version']).toBe(version);
    expect(JSON.parse(answer.body.toString())).toEqual({
      name: 'iris',
      versions: ['1', '2'],
      platform: 'onnxruntime_onnx',
      inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, 4] }],
      outputs: [{ name: 'probabilities', datatype: 'FP32', shape: [-1, 3] }],
    });
  });

  it('get_model_metadata of an unknown version raises with the server message', async () => {
    const answer = await send('GET', 'v2/models/iris/versions/5');
    expect(() => raiseIfError(answer)).toThrow(/\[404\]: model "iris": version 5 does not exist/);
  });

  it('infer with JSON inputs (binary_data=False) and no outputs named: outputs come back binary', async () => {
    const { header, asNumpy, answer } = await infer('iris', [input(FLOWERS, false)]);
    expect(answer.headers['content-type']).toBe('application/octet-stream');
    expect(header).toMatchObject({ model_name: 'iris', model_version: '1' });
    expect(header.outputs).toEqual([
      { name: 'probabilities', datatype: 'FP32', shape: [3, 3], parameters: { binary_data_size: 36 } },
    ]);
    expect(asNumpy('probabilities')).toMatchModelOutput((await irisProbabilities(1, FLOWERS)).flat());
  });

  it.each(['1', '2'])('infer with binary inputs on version %s by path, JSON output asked for', async (version) => {
    const { header, asNumpy, answer } = await infer('iris', [input(FLOWERS, true)], {
      version,
      outputs: [{ name: 'probabilities', binary_data: false }],
      requestId: `req-${version}`,
    });
    expect(answer.headers['content-type']).toMatch(/^application\/json/);
    expect(answer.headers['inference-header-content-length']).toBeUndefined();
    expect(header.id).toBe(`req-${version}`);
    expect(header.model_version).toBe(version);
    expect(asNumpy('probabilities')).toMatchModelOutput((await irisProbabilities(Number(version), FLOWERS)).flat());
  });

  it('infer with binary inputs and binary outputs on version 2', async () => {
    const { header, asNumpy, answer } = await infer('iris', [input(FLOWERS.slice(1), true)], {
      version: '2',
      outputs: [{ name: 'probabilities', binary_data: true }],
    });
    expect(answer.headers['content-type']).toBe('application/octet-stream');
    expect(Number(answer.headers['content-length'])).toBe(answer.body.length);
    expect(header.model_version).toBe('2');
    expect(asNumpy('probabilities')).toMatchModelOutput((await irisProbabilities(2, FLOWERS.slice(1))).flat());
  });

  it('infer with a wrong shape raises InferenceServerException with the server message', async () => {
    const bad: InferInput = { name: 'input', shape: [1, 3], datatype: 'FP32', values: Float32Array.from([1, 2, 3]), binary: true };
    await expect(infer('iris', [bad])).rejects.toThrow(
      /\[400\]: input "input" has shape \[1, 3\], but the model expects \[-1, 4\]/,
    );
  });
});
