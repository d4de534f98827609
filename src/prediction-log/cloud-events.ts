import { randomUUID } from 'node:crypto';
import { toV2DataType } from '../inference-protocol/datatypes';
import type { TensorMap } from '../inference/tensors';
import type { PredictionRecord } from '../serving/prediction-observers';
import { instanceLayout, instanceValue } from './log-entries';

/** The CloudEvents types KServe's payload logger sends (pkg/logger), so its receivers work unchanged. */
export const CE_INFERENCE_REQUEST = 'org.kubeflow.serving.inference.request';
export const CE_INFERENCE_RESPONSE = 'org.kubeflow.serving.inference.response';

/** One CloudEvent in HTTP binary mode: the attributes as ce-* headers, the data as the body. */
export interface HttpCloudEvent {
  readonly headers: Record<string, string>;
  readonly body: string;
}

/**
 * A prediction as the two events KServe's logger sends for it: the request, then the response,
 * with the same ce-id (the request id, as KServe uses the request's id), ce-inferenceservicename the
 * model (a shadow version's answer: its own ce-id, `<request id>.shadow`, and `ce-shadow`). KServe forwards the request and response bodies as they were; this service has the
 * tensors, so both bodies are Open Inference Protocol (V2) JSON, whatever API the request came by:
 * `{"id", "inputs": [{name, datatype, shape, data}]}` and `{"model_name", "model_version", "id",
 * "outputs": [...]}`. `data` is nested: one entry per instance (the tensor whole for a model without
 * a batch dimension), each one the instance's values or, beyond `maxValueBytes`, its digest.
 */
export function cloudEventsOf(
  record: PredictionRecord,
  options: { source: string; maxValueBytes: number },
): [request: HttpCloudEvent, response: HttpCloudEvent] {
  const id = record.requestId ?? randomUUID();
  const layout = instanceLayout(record);
  const shadow = record.shadowOf !== undefined;
  const headers = (type: string, time: number): Record<string, string> => ({
    'content-type': 'application/json',
    'ce-specversion': '1.0',
    // A shadow's events are other events than the served ones (the same source and id would be duplicates to a receiver).
    'ce-id': shadow ? `${id}.shadow` : id,
    'ce-source': options.source,
    'ce-type': type,
    'ce-time': new Date(time).toISOString(),
    'ce-inferenceservicename': record.model,
    'ce-component': 'predictor',
    'ce-modelversion': String(record.version),
    ...(record.traceId ? { 'ce-traceid': record.traceId } : {}),
    // An extension attribute of this service's own: who called, with PREDICT_AUTH on.
    ...(record.caller !== undefined ? { 'ce-caller': record.caller } : {}),
    // Extension attributes of this service's own: a shadow version's answer, which went to no client, and the version that served it.
    ...(shadow ? { 'ce-shadow': 'true', 'ce-servingversion': String(record.shadowOf) } : {}),
  });
  const request = { id, inputs: tensorsJson(record.inputs, layout, options.maxValueBytes) };
  const response = {
    model_name: record.model,
    model_version: String(record.version),
    id,
    outputs: tensorsJson(record.outputs, layout, options.maxValueBytes),
  };
  return [
    { headers: headers(CE_INFERENCE_REQUEST, record.startedAt), body: JSON.stringify(request) },
    { headers: headers(CE_INFERENCE_RESPONSE, record.startedAt + record.latencyMs), body: JSON.stringify(response) },
  ];
}

function tensorsJson(tensors: TensorMap, layout: { instances: number; split: boolean }, maxValueBytes: number) {
  return Object.entries(tensors).map(([name, tensor]) => ({
    name,
    datatype: toV2DataType(tensor.type),
    shape: [...tensor.dims],
    data: layout.split
      ? Array.from({ length: layout.instances }, (_, instance) => instanceValue(tensor, instance, true, maxValueBytes))
      : instanceValue(tensor, 0, false, maxValueBytes),
  }));
}
