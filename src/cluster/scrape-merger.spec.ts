import { Counter, Gauge, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { ScrapeMerger } from './scrape-merger';

/** One HTTP process's series as it sends them to the primary: prom-client's JSON, as text. */
async function processSeries(requests: number, heapBytes: number): Promise<string> {
  const registry = new Registry();
  new Counter({ name: 'requests_total', help: 'requests', labelNames: ['model'], registers: [registry] }).inc({ model: 'iris' }, requests);
  new Gauge({ name: 'reference_instances', help: 'the same in every process', aggregator: 'first', registers: [registry] }).set(heapBytes);
  return JSON.stringify(await registry.getMetricsAsJSON());
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('ScrapeMerger', () => {
  it('merges every process series by their aggregators: counters summed, a "first" gauge taken once', async () => {
    const merger = new ScrapeMerger(50);
    const text = await merger.merge([await processSeries(3, 7), await processSeries(4, 7)]);
    expect(text).toContain('requests_total{model="iris"} 7');
    expect(text).toMatch(/^reference_instances 7$/m);
  });

  it('serves scrapes close together from one thread, and starts a new one once the last has stopped', async () => {
    const merger = new ScrapeMerger(200);
    const series = [await processSeries(1, 1), await processSeries(2, 1)];
    const burst = await Promise.all(Array.from({ length: 5 }, () => merger.merge(series)));
    expect(burst.every((text) => text.includes('requests_total{model="iris"} 3'))).toBe(true);
    await merger.merge(series);
    expect(merger.threadsStarted).toBe(1);

    await sleep(600);
    expect(await merger.merge(series)).toContain('requests_total{model="iris"} 3');
    expect(merger.threadsStarted).toBe(2);
  });

  it('answers a scrape it cannot merge with a reason, and merges the next one', async () => {
    const merger = new ScrapeMerger(50);
    await expect(merger.merge(['not json'])).rejects.toThrow(/could not be merged/);
    expect(await merger.merge([await processSeries(5, 1)])).toContain('requests_total{model="iris"} 5');
  });
});
