/**
 * Merges scrapes of the pod in a worker thread of the primary (ScrapeMerger): each HTTP process's series
 * arrive as prom-client's JSON, as text, and are parsed and merged here (counters and histograms summed,
 * gauges by their own rule). The objects of tens of thousands of series live and die in this thread's
 * heap, which goes with the thread once scrapes stop for a while. Merged in the primary itself, a
 * 1,000-model scrape grew its RSS by 50-80 MB that V8 gave back only after some 40 quiet seconds: never,
 * under a Prometheus scraping every 15-60 s (bench/many-models.mjs).
 */
import { parentPort } from 'node:worker_threads';
import { AggregatorRegistry } from 'prom-client';
import type { MergeReply, MergeRequest } from './scrape-merger';

parentPort?.on('message', ({ id, perProcess }: MergeRequest) => {
  const reply = (answer: Omit<MergeReply, 'id'>) => parentPort?.postMessage({ id, ...answer } satisfies MergeReply);
  // In the chain, so that text that is not prom-client's JSON is a failed merge, not the thread's end.
  Promise.resolve()
    .then(() => AggregatorRegistry.aggregate(perProcess.map((json) => JSON.parse(json) as object)).metrics())
    .then((text) => reply({ text }))
    .catch((error: unknown) => reply({ failure: error instanceof Error ? error.message : String(error) }));
});
