import { parentPort, workerData } from 'node:worker_threads';
import type { LoadedModel, SessionSettings } from './engine-contracts';
import { OnnxRuntimeEngine } from './onnx-runtime.adapter';
import type { TensorMap } from './tensors';
import { transferablesOf, type WorkerReply, type WorkerRequest } from './worker-protocol';

/**
 * A worker thread owning one onnxruntime session per loaded model version.
 * onnxruntime-node runs inference synchronously on the calling thread, so it
 * runs here rather than on the main thread, which keeps serving HTTP.
 */
const engine = new OnnxRuntimeEngine(workerData as SessionSettings);
const models = new Map<number, LoadedModel>();
const port = parentPort!;

port.on('message', (message: WorkerRequest) => {
  void handle(message).then(
    (reply) => port.postMessage(reply, reply.op === 'ran' ? transferablesOf(reply.outputs) : []),
    (error: unknown) =>
      port.postMessage({ op: 'failed', id: message.id, message: error instanceof Error ? error.message : String(error) }),
  );
});

async function handle(message: WorkerRequest): Promise<WorkerReply> {
  switch (message.op) {
    case 'load': {
      const model = await engine.load(message.bytes, message.label);
      models.set(message.modelId, model);
      return { op: 'loaded', id: message.id, inputs: model.inputs, outputs: model.outputs };
    }
    case 'run': {
      const model = models.get(message.modelId);
      if (!model) throw new Error(`model ${message.modelId} is not loaded in this worker`);
      const started = performance.now();
      const outputs = await model.run(message.feeds, message.outputNames);
      return { op: 'ran', id: message.id, outputs: ownCopies(outputs), micros: (performance.now() - started) * 1000 };
    }
    case 'release': {
      await models.get(message.modelId)?.release();
      models.delete(message.modelId);
      return { op: 'released', id: message.id };
    }
  }
}

/** Output tensors may live in memory onnxruntime owns; copies can be transferred without copying again. */
function ownCopies(outputs: TensorMap): TensorMap {
  return Object.fromEntries(
    Object.entries(outputs).map(([name, tensor]) => [
      name,
      { ...tensor, data: Array.isArray(tensor.data) ? tensor.data : (tensor.data.slice() as typeof tensor.data) },
    ]),
  );
}
