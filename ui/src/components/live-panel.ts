import { html } from 'htm/preact';
import { useRef, useState } from 'preact/hooks';
import { api } from '../api';
import { formatNumber } from '../format';
import { messageOf, usePolling } from '../hooks';
import { LiveSeries, type ModelPoint } from '../metrics';
import { Chart, type ChartSeries } from './chart';

const SCRAPE_MS = 2000;
/** Five minutes of 2 s scrapes. */
const POINTS = 150;
const WINDOW_SECONDS = (POINTS * SCRAPE_MS) / 1000;
const COLORS = ['#2563eb', '#c026d3', '#059669', '#d97706', '#dc2626', '#0891b2', '#7c3aed', '#4b5563'];

const colorOf = (models: string[], model: string): string => COLORS[models.indexOf(model) % COLORS.length];

/**
 * Requests/s, inference time, batch size and queue depth per model, from GET /metrics every 2 s:
 * the pod's merged series, compared scrape to scrape (see metrics.ts).
 */
export function LivePanel() {
  const live = useRef(new LiveSeries(POINTS));
  const [, setScrapes] = useState(0);
  const [error, setError] = useState<string | null>(null);

  usePolling(async () => {
    // A hidden tab scrapes nothing; the first scrape back covers the whole pause.
    if (document.hidden) return;
    try {
      live.current.add(await api.metrics(), Date.now() / 1000);
      setError(null);
    } catch (failure) {
      setError(messageOf(failure));
    }
    setScrapes((n) => n + 1);
  }, SCRAPE_MS);

  const series = live.current;
  const models = series.models;
  const one = (suffix = '', dash?: number[]): ChartSeries[] =>
    models.map((model) => ({ label: `${model}${suffix}`, color: colorOf(models, model), dash }));
  const latencySeries = models.flatMap((model) => [
    { label: `${model} p50`, color: colorOf(models, model) },
    { label: `${model} p99`, color: colorOf(models, model), dash: [6, 4] },
  ]);
  const p50 = series.chart((p) => p.p50Ms);
  const p99 = series.chart((p) => p.p99Ms);
  const latencyData = [p50[0], ...models.flatMap((_, i) => [p50[i + 1], p99[i + 1]])] as typeof p50;
  const cell = (model: string, pick: (point: ModelPoint) => number | null, id: string) =>
    html`<td data-testid=${`live-${id}-${model}`}>${formatNumber((() => {
      const point = series.latest(model);
      return point ? pick(point) : null;
    })())}</td>`;

  return html`
    <section id="live" aria-labelledby="live-title" class="panel">
      <div class="panel-head">
        <h2 id="live-title">Live</h2>
        <p class="muted" aria-live="polite">
          ${error ? html`<span class="error">GET /metrics: ${error}</span>` : `from GET /metrics every ${SCRAPE_MS / 1000} s, the last ${(POINTS * SCRAPE_MS) / 60000} minutes`}
        </p>
      </div>
      <div class="charts">
        <${Chart} id="rps" title="Requests per second" windowSeconds=${WINDOW_SECONDS} minTop=${1} series=${one()} data=${series.chart((p) => p.requestsPerSecond)} />
        <${Chart} id="latency" title="Inference time per batch, p50 and p99 (ms)" windowSeconds=${WINDOW_SECONDS} minTop=${0.1} series=${latencySeries} data=${latencyData} />
        <${Chart} id="batch" title="Batch size (mean instances per inference)" windowSeconds=${WINDOW_SECONDS} minTop=${1} series=${one()} data=${series.chart((p) => p.meanBatchSize)} />
        <${Chart} id="queue" title="Queue depth (instances waiting)" windowSeconds=${WINDOW_SECONDS} minTop=${1} series=${one()} data=${series.chart((p) => p.queueDepth)} />
      </div>
      <div class="table-scroll">
        <table class="live-numbers">
          <caption id="live-numbers-caption">
            Over the last ${SCRAPE_MS / 1000} s, per model (every version, both protocols): requests per second, inference time
            per batch (p50, p99, in ms), mean batch size and queue depth
          </caption>
          <thead>
            <tr>
              <th scope="col">Model</th>
              <th scope="col"><abbr title="Requests per second">req/s</abbr></th>
              <th scope="col"><abbr title="Median inference time per batch, ms">p50</abbr></th>
              <th scope="col"><abbr title="99th percentile of the inference time per batch, ms">p99</abbr></th>
              <th scope="col"><abbr title="Mean instances per inference">batch</abbr></th>
              <th scope="col"><abbr title="Instances waiting in the queue">queue</abbr></th>
            </tr>
          </thead>
          <tbody>
            ${models.length === 0 ? html`<tr><td colspan="6" class="muted">No model has served yet.</td></tr>` : ''}
            ${models.map(
              (model) => html`
                <tr key=${model}>
                  <th scope="row"><span class="swatch" style=${{ background: colorOf(models, model) }} aria-hidden="true"></span>${model}</th>
                  ${cell(model, (p) => p.requestsPerSecond, 'rps')} ${cell(model, (p) => p.p50Ms, 'p50')} ${cell(model, (p) => p.p99Ms, 'p99')}
                  ${cell(model, (p) => p.meanBatchSize, 'batch')} ${cell(model, (p) => p.queueDepth, 'queue')}
                </tr>
              `,
            )}
          </tbody>
        </table>
      </div>
    </section>
  `;
}
