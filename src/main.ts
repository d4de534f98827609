import 'reflect-metadata';
import { createApp } from './app.factory';
import { ConfigError, loadConfig } from './config/app-config';
import { installGracefulShutdown } from './lifecycle/graceful-shutdown';
import { PINO_LOGGER } from './observability/logger';

async function bootstrap(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const app = await createApp(config);
  await app.listen(config.PORT, config.HOST);
  installGracefulShutdown(
    app,
    { delayMs: config.SHUTDOWN_DELAY_MS, graceMs: config.SHUTDOWN_GRACE_MS },
    app.get(PINO_LOGGER),
  );
}

bootstrap().catch((error: unknown) => {
  process.stderr.write(`Service failed to start: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
