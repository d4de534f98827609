import { AggregatorRegistry, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { BoundCounter, BoundGauge, BoundHistogram } from './bound-metrics';

const BUCKETS = [0.001, 0.01, 0.1, 1];
const OBSERVED: [string, number][] = [
  ['/a', 0.0005],
  ['/a', 0.001],
  ['/a', 0.05],
  ['/b', 3],
  ['/a', 0.5],
  ['/b', 0.002],
];

function both() {
  const ours = new Registry();
  const theirs = new Registry();
  const bound = new BoundHistogram('request_seconds', 'Request duration', ['route', 'status'], BUCKETS, ours);
  const reference = new Histogram({ name: 'request_seconds', help: 'Request duration', labelNames: ['route', 'status'], buckets: BUCKETS, registers: [theirs] });
  for (const [route, value] of OBSERVED) {
    bound.labels({ route, status: '200' }).observe(value);
    reference.labels({ route, status: '200' }).observe(value);
  }
  return { ours, theirs, bound, reference };
}

describe('BoundHistogram', () => {
  it('is written exactly as prom-client writes its own Histogram of the same observations', async () => {
    const { ours, theirs } = both();
    expect(await ours.metrics()).toBe(await theirs.metrics());
  });

  it('merges across processes as prom-client merges histograms (summed)', async () => {
    const { ours, theirs } = both();
    const oursMerged = AggregatorRegistry.aggregate([await ours.getMetricsAsJSON(), await ours.getMetricsAsJSON()]);
    const theirsMerged = AggregatorRegistry.aggregate([await theirs.getMetricsAsJSON(), await theirs.getMetricsAsJSON()]);
    expect(await oursMerged.metrics()).toBe(await theirsMerged.metrics());
  });

  it('drops a removed label set', async () => {
    const { ours, theirs, bound, reference } = both();
    bound.remove({ route: '/b', status: '200' });
    reference.remove({ route: '/b', status: '200' });
    expect(await ours.metrics()).toBe(await theirs.metrics());
    expect(await ours.metrics()).not.toContain('/b');
  });
});

describe('BoundCounter', () => {
  async function both() {
    const ours = new Registry();
    const theirs = new Registry();
    const bound = new BoundCounter('answers_total', 'Answers', ['model', 'outcome'], ours);
    const reference = new Counter({ name: 'answers_total', help: 'Answers', labelNames: ['model', 'outcome'], registers: [theirs] });
    for (const [model, outcome] of [['iris', 'success'], ['iris', 'success'], ['digits', 'rejected'], ['iris', 'invalid_input']]) {
      bound.labels({ model, outcome }).inc();
      reference.labels({ model, outcome }).inc();
    }
    bound.labels({ model: 'digits', outcome: 'success' }).inc(5);
    reference.labels({ model: 'digits', outcome: 'success' }).inc(5);
    return { ours, theirs };
  }

  it('is written and merged across processes exactly as prom-client writes and merges its own Counter', async () => {
    const { ours, theirs } = await both();
    expect(await ours.metrics()).toBe(await theirs.metrics());
    const merged = async (registry: Registry) => AggregatorRegistry.aggregate([await registry.getMetricsAsJSON(), await registry.getMetricsAsJSON()]).metrics();
    expect(await merged(ours)).toBe(await merged(theirs));
  });
});

describe('BoundGauge', () => {
  it('is written, merged and dropped exactly as prom-client does with its own Gauge', async () => {
    const ours = new Registry();
    const theirs = new Registry();
    const bound = new BoundGauge('queue_depth', 'Depth', ['model', 'version'], ours);
    const reference = new Gauge({ name: 'queue_depth', help: 'Depth', labelNames: ['model', 'version'], registers: [theirs] });
    for (const [model, depth] of [['iris', 3], ['digits', 0], ['iris', 7], ['old', 1]] as const) {
      bound.labels({ model, version: '1' }).set(depth);
      reference.labels({ model, version: '1' }).set(depth);
    }
    bound.remove({ model: 'old', version: '1' });
    reference.remove({ model: 'old', version: '1' });
    expect(await ours.metrics()).toBe(await theirs.metrics());
    expect(await ours.metrics()).toContain('queue_depth{model="iris",version="1"} 7');
    const merged = async (registry: Registry) => AggregatorRegistry.aggregate([await registry.getMetricsAsJSON(), await registry.getMetricsAsJSON()]).metrics();
    expect(await merged(ours)).toBe(await merged(theirs));
  });
});
