import { createApp } from './app.factory';
import { ServerProcess, TO_HTTP_PROCESS } from './cluster/server-process';
import type { AppConfig } from './config/app-config';
import { installGracefulShutdown } from './lifecycle/graceful-shutdown';
import { holdHeapNearLiveSize } from './lifecycle/heap-growth';
import { PINO_LOGGER } from './observability/logger';

/** One process serving HTTP: the whole server, or one of HTTP_PROCESSES under a primary. */
export async function runHttpProcess(config: AppConfig): Promise<void> {
  holdHeapNearLiveSize(config.MODEL_MEMORY_BUDGET_BYTES);
  const serverProcess = ServerProcess.current();
  const app = await createApp(config, serverProcess);
  await app.listen(config.PORT, config.HOST);
  const beginShutdown = installGracefulShutdown(
    app,
    { delayMs: config.SHUTDOWN_DELAY_MS, graceMs: config.SHUTDOWN_GRACE_MS },
    app.get(PINO_LOGGER),
    // Under a primary, Ctrl-C reaches every process of the terminal's group: the primary passes it on once.
    { signals: serverProcess.clustered ? ['SIGTERM'] : ['SIGTERM', 'SIGINT'] },
  );
  if (serverProcess.primary) {
    process.on('SIGINT', () => undefined);
    serverProcess.primary.handle(TO_HTTP_PROCESS.shutdown, (signal) => beginShutdown(signal as NodeJS.Signals));
  }
}
