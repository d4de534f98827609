import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { Server, ServerCredentials } from '@grpc/grpc-js';
import { HealthImplementation, type ServingStatus } from 'grpc-health-check';
import type { Logger } from 'pino';
import { AppConfig } from '../config/app-config';
import { Probes } from '../health/probes';
import { ShutdownState } from '../lifecycle/shutdown-state';
import { ModelRegistry } from '../model-registry/model-registry.service';
import { PINO_LOGGER } from '../observability/logger';
import { INFERENCE_SERVICE_NAME, loadInferenceService } from './grpc-definitions';
import { GrpcInferenceHandlers } from './grpc-inference.handlers';

/** How often grpc.health.v1 statuses are refreshed from readiness (Watch streams see changes within this). */
const HEALTH_REFRESH_MS = 1_000;
/** app.close() without a signal (tests, a failed start): calls in flight get this long before they are cut. */
const CLOSE_WITHOUT_DRAIN_MS = 5_000;

/**
 * Keepalive: the server pings an idle connection every 2 min and drops it if
 * the ping is not answered in 20 s (dead peers behind NAT, crashed clients);
 * clients may ping as often as every 10 s, also without calls in flight, as
 * gRPC's default client settings and tritonclient's keepalive options do.
 */
const SERVER_OPTIONS = {
  'grpc.keepalive_time_ms': 120_000,
  'grpc.keepalive_timeout_ms': 20_000,
  'grpc.http2.min_ping_interval_without_data_ms': 10_000,
  'grpc.keepalive_permit_without_calls': 1,
} as const;

/**
 * The Open Inference Protocol over gRPC on GRPC_PORT (0: off), beside the
 * HTTP server and started and stopped with the application: the inference
 * service and the standard health service (grpc.health.v1), whose status
 * follows readiness. On SIGTERM it drains with the HTTP server: GOAWAY to
 * every client, the calls in flight finish, then the port closes.
 */
@Injectable()
export class GrpcServer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private server: Server | undefined;
  private health: HealthImplementation | undefined;
  private healthRefresh: NodeJS.Timeout | undefined;
  private boundPort: number | undefined;

  constructor(
    private readonly config: AppConfig,
    private readonly handlers: GrpcInferenceHandlers,
    private readonly probes: Probes,
    private readonly registry: ModelRegistry,
    private readonly shutdown: ShutdownState,
    @Inject(PINO_LOGGER) private readonly logger: Logger,
  ) {}

  /** The port gRPC listens on, once started; undefined while off. */
  get port(): number | undefined {
    return this.boundPort;
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.GRPC_PORT === 0) return;
    const server = new Server({ ...SERVER_OPTIONS, 'grpc.max_receive_message_length': this.config.GRPC_MAX_MESSAGE_BYTES });
    server.addService(loadInferenceService(), this.handlers.implementation());
    this.health = new HealthImplementation({ '': 'NOT_SERVING', [INFERENCE_SERVICE_NAME]: 'NOT_SERVING' });
    this.health.addToServer(server);
    const address = `${hostForUri(this.config.HOST)}:${this.config.GRPC_PORT}`;
    this.boundPort = await new Promise<number>((resolve, reject) =>
      server.bindAsync(address, ServerCredentials.createInsecure(), (error, port) => (error ? reject(error) : resolve(port))),
    );
    this.server = server;
    this.logger.info({ address, max_message_bytes: this.config.GRPC_MAX_MESSAGE_BYTES }, 'gRPC server listening');
    void this.refreshHealth();
    // The models of the start load after the server listens: SERVING as soon as they are, not a tick later.
    void this.registry.whenLoaded().then(() => this.refreshHealth());
    this.healthRefresh = setInterval(() => void this.refreshHealth(), HEALTH_REFRESH_MS).unref();
    this.shutdown.onDraining(() => this.setHealth('NOT_SERVING'));
    this.shutdown.addDrain(() => this.drain());
  }

  /** A close without the signal path (which drained already): calls in flight get a bounded moment. */
  async beforeApplicationShutdown(): Promise<void> {
    if (!this.server) return;
    const server = this.server;
    const forced = setTimeout(() => server.forceShutdown(), CLOSE_WITHOUT_DRAIN_MS);
    await this.drain();
    clearTimeout(forced);
  }

  /** Stops accepting calls (GOAWAY), resolves once every call in flight has been answered. */
  private drain(): Promise<void> {
    const server = this.server;
    if (!server) return Promise.resolve();
    this.server = undefined;
    clearInterval(this.healthRefresh);
    this.setHealth('NOT_SERVING');
    return new Promise((resolve) => server.tryShutdown(() => resolve()));
  }

  private async refreshHealth(): Promise<void> {
    const notReady = this.shutdown.draining ? 'draining' : await this.probes.notReadyBecause().catch(() => 'unknown');
    if (this.server) this.setHealth(notReady === undefined ? 'SERVING' : 'NOT_SERVING');
  }

  private setHealth(status: ServingStatus): void {
    this.health?.setStatus('', status);
    this.health?.setStatus(INFERENCE_SERVICE_NAME, status);
  }
}

/** An IPv6 address goes in brackets in a gRPC target, as in a URL. */
function hostForUri(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}
