import packageJson from '../../package.json';

/**
 * What the service calls itself wherever a peer asks: the Open Inference
 * Protocol's server metadata (REST and gRPC), the OpenTelemetry resource
 * (unless OTEL_SERVICE_NAME names it) and the Swagger document.
 */
export const SERVICE_NAME = 'onnx-model-server';
export const SERVICE_VERSION: string = packageJson.version;
