import * as ort from 'onnxruntime-node';
import type { InferenceEngine, LoadedModel, SessionSettings } from './engine-contracts';
import { residentBytesOf, RUNTIME_BYTES_ON_EVENT_LOOP } from './resident-bytes';
import { isDataType, type Tensor, type TensorData, type TensorMap, type TensorSpec } from './tensors';

/** The only module that imports onnxruntime-node. */
export class OnnxRuntimeEngine implements InferenceEngine {
  private used = false;

  constructor(private readonly settings: SessionSettings) {}

  runtimeBytes(): number {
    return this.used ? RUNTIME_BYTES_ON_EVENT_LOOP : 0;
  }

  async load(modelBytes: Uint8Array, label: string): Promise<LoadedModel> {
    this.used = true;
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(modelBytes, {
        intraOpNumThreads: this.settings.intraOpThreads,
        interOpNumThreads: this.settings.interOpThreads,
        graphOptimizationLevel: 'all',
      });
    } catch (error) {
      throw new Error(`onnxruntime could not load ${label}: ${firstLine(error)}`);
    }
    return new OnnxRuntimeModel(session, residentBytesOf(modelBytes.byteLength, { workerSessions: 0, eventLoopSession: true }));
  }
}

class OnnxRuntimeModel implements LoadedModel {
  readonly inputs: readonly TensorSpec[];
  readonly outputs: readonly TensorSpec[];

  constructor(
    private readonly session: ort.InferenceSession,
    readonly residentBytes: number,
  ) {
    this.inputs = session.inputMetadata.map(toSpec);
    this.outputs = session.outputMetadata.map(toSpec);
  }

  async run(feeds: TensorMap, outputNames?: readonly string[]): Promise<TensorMap> {
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const [name, tensor] of Object.entries(feeds)) {
      ortFeeds[name] = toOrt(tensor);
    }
    const results = outputNames
      ? await this.session.run(ortFeeds, outputNames as string[])
      : await this.session.run(ortFeeds);
    const out: TensorMap = {};
    for (const [name, value] of Object.entries(results)) {
      out[name] = fromOrt(name, value);
    }
    return out;
  }

  release(): Promise<void> {
    return this.session.release();
  }
}

/**
 * float16 travels through the service as its raw bits in a Uint16Array. Where
 * the runtime has a Float16Array (Node 24), onnxruntime-common wraps such data
 * in one, which onnxruntime-node 1.30's native binding cannot read ("not
 * enough space"); the tensor is given its Uint16Array back, the same bytes.
 */
function toOrt(tensor: Tensor): ort.Tensor {
  const ortTensor = new ort.Tensor(tensor.type, tensor.data as ort.Tensor.DataType, tensor.dims);
  if (tensor.type === 'float16' && !(ortTensor.data instanceof Uint16Array)) {
    (ortTensor as unknown as { cpuData: Uint16Array }).cpuData = tensor.data as Uint16Array;
  }
  return ortTensor;
}

function toSpec(metadata: ort.InferenceSession.ValueMetadata): TensorSpec {
  if (!metadata.isTensor) return { name: metadata.name, type: undefined, dims: [] };
  return {
    name: metadata.name,
    type: isDataType(metadata.type) ? metadata.type : undefined,
    dims: metadata.shape.map((dim) => (typeof dim === 'number' && dim >= 0 ? dim : null)),
  };
}

function fromOrt(name: string, value: ort.OnnxValue): Tensor {
  const tensor = value as ort.Tensor;
  if (!isDataType(tensor.type)) {
    throw new Error(`output ${name} has datatype ${tensor.type}, which this service cannot return`);
  }
  const data = tensor.data as ArrayBufferView & { length: number };
  if (tensor.type === 'float16' && !(data instanceof Uint16Array)) {
    // The same Float16Array wrapping on the way out (see toOrt): back to the raw bits.
    return { type: 'float16', dims: [...tensor.dims], data: new Uint16Array(data.buffer, data.byteOffset, data.length) };
  }
  return { type: tensor.type, dims: [...tensor.dims], data: tensor.data as TensorData };
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0].trim();
}
