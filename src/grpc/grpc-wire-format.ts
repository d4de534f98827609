import type { InferenceWireFormat } from '../inference-protocol/inference-pipeline';
import { validateInferenceRequest } from '../inference-protocol/request-validation';
import type { ModelInferRequest, ModelInferResponse } from './grpc-definitions';
import { fromGrpcInferRequest } from './grpc-request';
import { toGrpcInferResponse } from './grpc-response';

/**
 * ModelInfer's messages in the terms of the pipeline shared with /v2 REST: the request turned into REST's
 * JSON request (checked by the same rules) with raw_input_contents or typed contents as each input's
 * bytes or values; the answer with every output's bytes in raw_output_contents.
 */
export const GRPC_WIRE_FORMAT: InferenceWireFormat<ModelInferRequest, ModelInferResponse> = {
  read(message) {
    const { header, binaryInputs } = fromGrpcInferRequest(message);
    return { request: validateInferenceRequest(header), binaryInputs };
  },
  write: toGrpcInferResponse,
};
