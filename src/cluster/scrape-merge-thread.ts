/**
 * Merges one scrape of the pod in a worker thread the primary starts for it, and exits. Each HTTP
 * process's series arrive as prom-client's JSON, as text; parsed and merged here (counters and histograms
 * summed, gauges by their own rule), the objects of tens of thousands of series live and die in this
 * thread's heap, which is gone with it. Merged in the primary itself, a 1,000-model scrape grew its RSS
 * by 50-80 MB that V8 gave back only after some 40 quiet seconds: never, under a Prometheus scraping
 * every 15-60 s (bench/many-models.mjs).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { AggregatorRegistry } from 'prom-client';

async function merge(perProcess: readonly string[]): Promise<string> {
  return AggregatorRegistry.aggregate(perProcess.map((json) => JSON.parse(json) as object)).metrics();
}

void merge(workerData as string[]).then((text) => parentPort?.postMessage(text));
