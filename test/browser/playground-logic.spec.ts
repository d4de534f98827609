import { describe, expect, it } from 'vitest';
import { agreementText, exampleV2Request, formatJson, formatNumber, percent, rankedClasses } from '../../ui/src/format';
import { histogramQuantile, LiveSeries, parsePrometheusText, pointsBetween, SERIES, snapshotOf } from '../../ui/src/metrics';
import { useTestApp } from '../support/test-app';

/** The playground's pure modules (ui/src/metrics.ts, format.ts), run in Node; the page itself runs in Chromium (playground.spec.ts). */

/** Prometheus text as the service writes it, for one model with the given totals. */
function scrape(model: string, totals: { requests: number; batches: number; rows: number; le: Record<string, number>; queue?: number }): string {
  return [
    `# HELP ${SERIES.predictions} Requests answered`,
    `# TYPE ${SERIES.predictions} counter`,
    `${SERIES.predictions}{model="${model}",version="1",outcome="success",protocol="http"} ${totals.requests}`,
    ...Object.entries(totals.le).map(([le, count]) => `${SERIES.inferenceSeconds}_bucket{le="${le}",model="${model}",version="1"} ${count}`),
    `${SERIES.inferenceSeconds}_sum{model="${model}",version="1"} 0.5`,
    `${SERIES.inferenceSeconds}_count{model="${model}",version="1"} ${totals.batches}`,
    `${SERIES.batchSize}_sum{model="${model}",version="1"} ${totals.rows}`,
    `${SERIES.batchSize}_count{model="${model}",version="1"} ${totals.batches}`,
    `${SERIES.queueDepth}{model="${model}",version="1"} ${totals.queue ?? 0}`,
    'process_cpu_seconds_total 12.5',
  ].join('\n');
}

describe('parsePrometheusText', () => {
  it('reads names, labels (with escapes), special values and skips comments and timestamps', () => {
    const samples = parsePrometheusText(
      [
        '# HELP a_total A counter',
        'a_total{model="iris",note="say \\"hi\\"\\\\ back\\nthen"} 42 1700000000000',
        'b_bucket{le="+Inf"} +Inf',
        'c NaN',
        'd{} -1.5e-3',
        'broken{model="x} 1',
        '',
      ].join('\n'),
    );
    expect(samples.map((s) => s.name)).toEqual(['a_total', 'b_bucket', 'c', 'd']);
    expect(samples[0]).toEqual({ name: 'a_total', labels: { model: 'iris', note: 'say "hi"\\ back\nthen' }, value: 42 });
    expect(samples[1].value).toBe(Infinity);
    expect(samples[2].value).toBeNaN();
    expect(samples[3]).toEqual({ name: 'd', labels: {}, value: -0.0015 });
  });
});

describe('histogramQuantile', () => {
  it('interpolates inside the bucket holding the rank, as Prometheus does', () => {
    // 10 observations: 4 up to 1 ms, 4 more up to 5 ms, 2 more up to 10 ms.
    const buckets: [number, number][] = [
      [0.001, 4],
      [0.005, 8],
      [0.01, 10],
      [Infinity, 10],
    ];
    expect(histogramQuantile(0.5, buckets)).toBeCloseTo(0.001 + (0.004 * 1) / 4, 12);
    expect(histogramQuantile(0.99, buckets)).toBeCloseTo(0.005 + (0.005 * 1.9) / 2, 12);
    expect(histogramQuantile(0.2, buckets)).toBeCloseTo(0.0005, 12);
  });

  it('answers the highest finite bound for ranks in the +Inf bucket, and null without observations', () => {
    expect(histogramQuantile(0.99, [[0.001, 1], [Infinity, 10]])).toBe(0.001);
    expect(histogramQuantile(0.5, [[0.001, 0], [Infinity, 0]])).toBeNull();
    expect(histogramQuantile(0.5, [])).toBeNull();
  });
});

describe('pointsBetween', () => {
  const le = (fast: number, slow: number) => ({ '0.001': fast, '0.01': fast + slow, '+Inf': fast + slow });

  it('turns two scrapes into requests/s, latency quantiles, mean batch size and queue depth', () => {
    const before = snapshotOf(scrape('iris', { requests: 100, batches: 50, rows: 100, le: le(50, 0) }), 1000);
    const after = snapshotOf(scrape('iris', { requests: 120, batches: 60, rows: 130, le: le(58, 2), queue: 3 }), 1002);
    const point = pointsBetween(before, after).get('iris')!;
    expect(point.requestsPerSecond).toBe(10);
    expect(point.meanBatchSize).toBe(3);
    expect(point.queueDepth).toBe(3);
    // 10 batches: 8 under 1 ms, 2 between 1 and 10 ms.
    expect(point.p50Ms).toBeCloseTo((0.001 * 5) / 8 * 1000, 9);
    expect(point.p99Ms).toBeCloseTo((0.001 + (0.009 * 1.9) / 2) * 1000, 9);
  });

  it('has no latency or batch size for an interval without inference, and 0 requests/s', () => {
    const text = scrape('iris', { requests: 5, batches: 5, rows: 5, le: le(5, 0) });
    const point = pointsBetween(snapshotOf(text, 10), snapshotOf(text, 12)).get('iris')!;
    expect(point).toEqual({ requestsPerSecond: 0, p50Ms: null, p99Ms: null, meanBatchSize: null, queueDepth: 0 });
  });

  it('sums the versions, outcomes and protocols of a model, counts a reset counter from 0 and a new series whole', () => {
    const before = snapshotOf(
      [
        `${SERIES.predictions}{model="iris",version="1",outcome="success",protocol="http"} 500`,
        `${SERIES.predictions}{model="iris",version="2",outcome="success",protocol="http"} 10`,
      ].join('\n'),
      0,
    );
    const after = snapshotOf(
      [
        // Version 1's process restarted: 500 -> 4 means 4 new requests.
        `${SERIES.predictions}{model="iris",version="1",outcome="success",protocol="http"} 4`,
        `${SERIES.predictions}{model="iris",version="2",outcome="success",protocol="http"} 16`,
        `${SERIES.predictions}{model="iris",version="2",outcome="invalid_input",protocol="grpc"} 2`,
        `${SERIES.predictions}{model="digits",version="1",outcome="success",protocol="http"} 8`,
      ].join('\n'),
      4,
    );
    const points = pointsBetween(before, after);
    expect(points.get('iris')!.requestsPerSecond).toBe((4 + 6 + 2) / 4);
    expect(points.get('digits')!.requestsPerSecond).toBe(2);
  });
});

describe('LiveSeries', () => {
  it('keeps every model on one time axis (nulls before a model first shows) and only the last points', () => {
    const series = new LiveSeries(3);
    const iris = (requests: number) => scrape('iris', { requests, batches: requests, rows: requests, le: le(requests) });
    function le(n: number) {
      return { '0.001': n, '+Inf': n };
    }
    expect(series.add(iris(0), 0).size).toBe(0);
    series.add(iris(2), 2);
    series.add(`${iris(6)}\n${scrape('digits', { requests: 1, batches: 1, rows: 1, le: le(1) })}`, 4);
    expect(series.models).toEqual(['digits', 'iris']);
    expect(series.chart((p) => p.requestsPerSecond)).toEqual([[2, 4], [null, 0.5], [1, 2]]);
    series.add(iris(6), 6);
    series.add(iris(10), 8);
    expect(series.times).toEqual([4, 6, 8]);
    expect(series.chart((p) => p.requestsPerSecond)).toEqual([[4, 6, 8], [0.5, null, null], [2, 0, 2]]);
    expect(series.latest('iris')!.requestsPerSecond).toBe(2);
    expect(series.latest('digits')).toBeNull();
  });
});

describe('the live numbers from the service own /metrics', () => {
  const server = useTestApp({ models: ['iris'] });

  it('names series the service writes, so traffic shows as requests/s, latency and batch size', async () => {
    const live = new LiveSeries(10);
    const metrics = async () => (await server.app.inject({ method: 'GET', url: '/metrics' })).body;
    live.add(await metrics(), 100);
    for (let i = 0; i < 5; i++) {
      const response = await server.app.inject({
        method: 'POST',
        url: '/v1/models/iris/predict',
        payload: { instances: [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]] },
      });
      expect(response.statusCode).toBe(200);
    }
    const point = live.add(await metrics(), 102).get('iris');
    expect(point).toMatchObject({ requestsPerSecond: 2.5, meanBatchSize: 2, queueDepth: 0 });
    expect(point!.p50Ms).toBeGreaterThan(0);
    expect(point!.p99Ms).toBeGreaterThanOrEqual(point!.p50Ms!);
  });
});

describe('formatting', () => {
  it('writes JSON indented, with arrays of plain values on one line', () => {
    expect(formatJson({ inputs: [{ name: 'input', shape: [1, 4], data: [0, 0, 0, 0] }], empty: [], none: {} })).toBe(
      '{\n  "inputs": [\n    {\n      "name": "input",\n      "shape": [1, 4],\n      "data": [0, 0, 0, 0]\n    }\n  ],\n  "empty": [],\n  "none": {}\n}',
    );
  });

  it('pre-fills a valid /v2 request from metadata: batch 1 for dynamic dimensions, flat zeros (or the datatype own example)', () => {
    expect(
      exampleV2Request([
        { name: 'input', datatype: 'FP32', shape: [-1, 1, 2, 2] },
        { name: 'mask', datatype: 'BOOL', shape: [-1, 2] },
        { name: 'text', datatype: 'BYTES', shape: [1] },
      ]),
    ).toEqual({
      inputs: [
        { name: 'input', shape: [1, 1, 2, 2], datatype: 'FP32', data: [0, 0, 0, 0] },
        { name: 'mask', shape: [1, 2], datatype: 'BOOL', data: [false, false] },
        { name: 'text', shape: [1], datatype: 'BYTES', data: [''] },
      ],
    });
  });

  it("ranks a classifier's classes from top_k or from its probabilities by label", () => {
    expect(rankedClasses({ top_k: [{ label: '7', class_id: 7, probability: 0.9 }, { label: '9', class_id: 9, probability: 0.1 }] })).toEqual([
      { label: '7', probability: 0.9 },
      { label: '9', probability: 0.1 },
    ]);
    expect(rankedClasses({ class_id: 2, label: 'virginica', probabilities: { setosa: 0.01, versicolor: 0.09, virginica: 0.9 } }, 2)).toEqual([
      { label: 'virginica', probability: 0.9 },
      { label: 'versicolor', probability: 0.09 },
    ]);
    expect(rankedClasses({ outputs: { variable: [1.5] } })).toBeUndefined();
  });

  it('writes percentages and numbers for people', () => {
    expect([percent(0.99996), percent(0.123), percent(0.0004), percent(0)]).toEqual(['100%', '12.3%', '<0.1%', '0%']);
    expect([formatNumber(null), formatNumber(0), formatNumber(2.345), formatNumber(12.34), formatNumber(1234.5, ' ms')]).toEqual([
      '–',
      '0',
      '2.35',
      '12.3',
      '1235 ms',
    ]);
  });
});

describe('agreementText', () => {
  it('gives the rate and its 95% interval, never rounding a share to 0% or 100% that is not', () => {
    expect(agreementText({ total: 12, rate: 11 / 12, interval95: [0.6461, 0.9851] })).toBe('91.7% (95%: 64.6%–98.5%) of 12');
    expect(agreementText({ total: 3000, rate: 2999 / 3000, interval95: [0.9981, 0.99994] })).toBe('99.9% (95%: 99.8%–99.9%) of 3000');
    expect(agreementText({ total: 10, rate: 1, interval95: [0.7225, 1] })).toBe('100% (95%: 72.3%–100%) of 10');
    expect(agreementText({ total: 0, rate: null, interval95: null })).toBe('nothing compared yet');
  });
});
