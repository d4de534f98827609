import { status as Status, type ServiceError } from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { grpcClient, type GrpcTestClient } from '../support/grpc-client';
import { removeDir, tempModelsDir } from '../support/test-app';
import { printFigures } from './support/load';
import { startServer, type ServerProcess } from './support/server-process';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const FLOWER = Buffer.from(Float32Array.from([5.1, 3.5, 1.4, 0.2]).buffer);
const INFER = { model_name: 'iris', inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4] }], raw_input_contents: [FLOWER] };

/**
 * How a call that never reached a server that is going away ends in grpc-js: the channel finds no
 * server to connect to. Anything else (a stream reset, a connection dropped mid-call) is a lost call.
 */
const NEVER_SENT = /No connection established|failed to connect|ECONNREFUSED|connect ECONN/i;

describe('gRPC under SIGTERM', () => {
  let server: ServerProcess | undefined;
  let modelsDir: string | undefined;
  const clients: GrpcTestClient[] = [];

  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    await server?.stop();
    if (modelsDir) await removeDir(modelsDir);
    server = undefined;
    modelsDir = undefined;
  });

  it.each([1000, 0])(
    'SHUTDOWN_DELAY_MS=%i, two HTTP processes: every call the server accepted is answered OK, the rest fail to connect, and it exits 0 in time',
    async (delayMs) => {
      modelsDir = await tempModelsDir('iris');
      const graceMs = 10_000;
      server = await startServer({ MODELS_DIR: modelsDir, SHUTDOWN_DELAY_MS: String(delayMs), SHUTDOWN_GRACE_MS: String(graceMs), HTTP_PROCESSES: '2' }, 30_000, { grpc: true });
      const running = server;
      // Several channels (HTTP/2 connections), spread over both HTTP processes by the cluster's round robin.
      for (let i = 0; i < 4; i++) clients.push(grpcClient(running.grpcPort!));
      const codes: Record<string, number> = {};
      const lost: string[] = [];
      let okAfterSignal = 0;
      let signalledAt = 0;
      // Each caller stops once the server is gone for it (as a client of a load balancer moves on).
      const caller = async (client: GrpcTestClient): Promise<void> => {
        for (;;) {
          try {
            const response = await client.call<{ model_version: string }>('ModelInfer', INFER, { deadlineMs: 10_000 });
            codes.OK = (codes.OK ?? 0) + 1;
            if (signalledAt && response.model_version === '1') okAfterSignal++;
          } catch (error) {
            const { code, details } = error as ServiceError;
            codes[Status[code]] = (codes[Status[code]] ?? 0) + 1;
            if (code !== Status.UNAVAILABLE || !NEVER_SENT.test(details)) lost.push(`${Status[code]}: ${details}`);
            return;
          }
        }
      };
      const callers = Array.from({ length: 32 }, (_, i) => caller(clients[i % clients.length]));
      await sleep(1500);
      signalledAt = Date.now();
      running.child.kill('SIGTERM');
      const exit = await running.exited;
      const exitedAfterMs = Date.now() - signalledAt;
      await Promise.all(callers);
      printFigures(`grpc sigterm, delay ${delayMs} ms`, { codes, lost: lost.slice(0, 5), ok_after_signal: okAfterSignal, exit_code: exit.code, exited_after_ms: exitedAfterMs });
      expect(lost).toEqual([]);
      expect(codes.OK).toBeGreaterThan(100);
      expect(okAfterSignal).toBeGreaterThan(0);
      expect(exit).toEqual({ code: 0, signal: null });
      expect(exitedAfterMs).toBeLessThan(graceMs);
    },
  );
});
