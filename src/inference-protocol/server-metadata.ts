import { SERVICE_NAME, SERVICE_VERSION } from '../config/service-identity';

/** The protocol extensions this server implements, as both transports announce them. */
const EXTENSIONS = ['binary_tensor_data'] as const;

/** The Open Inference Protocol's server metadata, one answer for REST (`GET /v2`) and gRPC (`ServerMetadata`). */
export function serverMetadata(): { name: string; version: string; extensions: string[] } {
  return { name: SERVICE_NAME, version: SERVICE_VERSION, extensions: [...EXTENSIONS] };
}
