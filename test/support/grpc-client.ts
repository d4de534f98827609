import { credentials, loadPackageDefinition, Metadata, type Client, type ClientUnaryCall, type ServiceError, type StatusObject } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { protoPath as HEALTH_PROTO } from 'grpc-health-check';
import { PROTO_FILE } from '../../src/grpc/grpc-definitions';

/** Options of a Node client as generated code would use them: longs as strings, so INT64 values keep every digit. */
const LOADER_OPTIONS = { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true } as const;

type UnaryMethod = (request: unknown, metadata: Metadata, options: { deadline?: number }, callback: (error: ServiceError | null, response: unknown) => void) => void;

export interface GrpcTestClient {
  /** One unary call of GRPCInferenceService; rejects with the ServiceError (code, details, metadata). */
  call<T = Record<string, any>>(method: string, request: unknown, options?: { metadata?: Record<string, string>; deadlineMs?: number }): Promise<T>;
  /** One unary call, with the trailing metadata the server sent (e.g. x-cache). */
  callWithTrailer<T = Record<string, any>>(method: string, request: unknown): Promise<{ response: T; trailer: Metadata }>;
  /** The same method with bytes sent as they are: for messages no client would serialize. */
  callRaw(method: string, bytes: Buffer): Promise<unknown>;
  /** grpc.health.v1.Health/Check for a service name ('' = the whole server). */
  health(service: string): Promise<string>;
  close(): void;
}

/** A request message's bytes as a client's serializer writes them, for tests that then cut or corrupt them. */
export function serializedRequest(method: string, request: object): Buffer {
  const service = loadSync(PROTO_FILE, LOADER_OPTIONS)['inference.GRPCInferenceService'] as Record<string, { requestSerialize(value: object): Buffer }>;
  return service[method].requestSerialize(request);
}

/** A @grpc/grpc-js client for the service's own .proto, as a Node user would build one. */
export function grpcClient(port: number): GrpcTestClient {
  const address = `127.0.0.1:${port}`;
  const inference = loadPackageDefinition(loadSync(PROTO_FILE, LOADER_OPTIONS)) as any;
  const client: Client & Record<string, UnaryMethod> = new inference.inference.GRPCInferenceService(address, credentials.createInsecure());
  const healthPackage = loadPackageDefinition(loadSync(HEALTH_PROTO, LOADER_OPTIONS)) as any;
  const healthClient = new healthPackage.grpc.health.v1.Health(address, credentials.createInsecure());
  return {
    call(method, request, options = {}) {
      const metadata = new Metadata();
      for (const [key, value] of Object.entries(options.metadata ?? {})) metadata.set(key, value);
      return new Promise((resolve, reject) =>
        client[method](request, metadata, { deadline: options.deadlineMs ? Date.now() + options.deadlineMs : undefined }, (error, response) =>
          error ? reject(error) : resolve(response as never),
        ),
      );
    },
    callWithTrailer(method, request) {
      return new Promise((resolve, reject) => {
        let response: unknown;
        const call = (client[method] as unknown as (request: unknown, callback: (error: ServiceError | null, value: unknown) => void) => ClientUnaryCall)(
          request,
          (error, value) => {
            if (error) reject(error);
            else response = value;
          },
        );
        call.on('status', (status: StatusObject) => {
          if (status.code === 0) resolve({ response: response as never, trailer: status.metadata });
        });
      });
    },
    callRaw(method, bytes) {
      return new Promise((resolve, reject) =>
        client.makeUnaryRequest(
          `/inference.GRPCInferenceService/${method}`,
          () => bytes,
          (response: Buffer) => response,
          {},
          (error, response) => (error ? reject(error) : resolve(response)),
        ),
      );
    },
    health(service) {
      return new Promise((resolve, reject) =>
        healthClient.Check({ service }, (error: ServiceError | null, response: { status: string }) => (error ? reject(error) : resolve(response.status))),
      );
    },
    close() {
      client.close();
      healthClient.close();
    },
  };
}
