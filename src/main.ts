import 'reflect-metadata';
import cluster from 'node:cluster';
import { authFilesProblem } from './auth/auth-sources';
import { Primary } from './cluster/primary';
import { type AppConfig, ConfigError, loadConfig } from './config/app-config';
import { holdHeapNearLiveSize } from './lifecycle/heap-growth';
import { createLogger } from './observability/logger';
import { primarySeries } from './observability/metrics/process-series';

async function bootstrap(): Promise<void> {
  const config = configOrExit();
  const authProblem = authFilesProblem(config);
  if (authProblem !== undefined) {
    process.stderr.write(`Invalid configuration: ${authProblem}\n`);
    process.exit(1);
  }
  if (config.HTTP_PROCESSES > 1 && cluster.isPrimary) {
    // The primary merges every HTTP process's series on each scrape: with thousands of models, garbage by the MB.
    holdHeapNearLiveSize(config.MODEL_MEMORY_BUDGET_BYTES);
    new Primary(config, createLogger(config.LOG_LEVEL, { process: 'primary' }), primarySeries()).start();
    return;
  }
  // Required here, not imported at the top: the primary serves no HTTP and needs neither Nest, nor
  // onnxruntime, nor sharp, and stays at a fraction of an HTTP process's memory.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { runHttpProcess } = require('./http-process') as typeof import('./http-process.js');
  await runHttpProcess(config);
}

function configOrExit(): AppConfig {
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}

bootstrap().catch((error: unknown) => {
  process.stderr.write(`Service failed to start: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
