import { html } from 'htm/preact';
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import type { ChartData } from '../metrics';
import { formatNumber } from '../format';

const HEIGHT = 180;
const MIN_SPAN_SECONDS = 60;

export interface ChartSeries {
  label: string;
  color: string;
  dash?: number[];
}

/**
 * One uPlot line chart over time. The chart is built again when its series change (a model
 * appears) and otherwise only gets new data; it follows its container's width.
 */
export function Chart({
  id,
  title,
  series,
  data,
  windowSeconds,
  minTop,
}: {
  id: string;
  title: string;
  series: ChartSeries[];
  data: ChartData;
  /** The most the x axis spans, ending at the latest point (at least a minute, however few points there are). */
  windowSeconds: number;
  /** The y axis reaches at least this high, so an idle model is a flat line at the bottom, not noise blown up. */
  minTop: number;
}) {
  const host = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const key = JSON.stringify(series);

  useEffect(() => {
    const element = host.current;
    if (!element || series.length === 0) return;
    const options: uPlot.Options = {
      width: Math.max(200, element.clientWidth),
      height: HEIGHT,
      series: [
        {},
        ...series.map((s) => ({
          label: s.label,
          stroke: s.color,
          width: 2,
          dash: s.dash,
          value: (_: uPlot, value: number | null) => formatNumber(value),
        })),
      ],
      axes: [{ stroke: '#4b5563' }, { stroke: '#4b5563', size: 48, values: (_: uPlot, splits: number[]) => splits.map((v) => formatNumber(v)) }],
      scales: {
        x: {
          time: true,
          range: (_: uPlot, min: number | null, max: number | null) => {
            const end = max ?? Date.now() / 1000;
            // A fresh page shows its first minute across the chart, then the axis widens to the whole window.
            const start = Math.max(end - windowSeconds, Math.min(min ?? end, end - MIN_SPAN_SECONDS));
            return [start, end];
          },
        },
        y: { range: (_: uPlot, _min: number | null, max: number | null) => [0, Math.max((max ?? 0) * 1.1, minTop)] },
      },
      legend: { live: false },
      cursor: { drag: { x: false, y: false } },
    };
    const chart = new uPlot(options, data as uPlot.AlignedData, element);
    plot.current = chart;
    let width = element.clientWidth;
    // Sized on the next frame: resizing inside the observer's callback can loop (a browser error).
    const observer = new ResizeObserver(() => {
      requestAnimationFrame(() => {
        if (!plot.current || element.clientWidth === width || element.clientWidth === 0) return;
        width = element.clientWidth;
        plot.current.setSize({ width: Math.max(200, width), height: HEIGHT });
      });
    });
    observer.observe(element);
    return () => {
      observer.disconnect();
      chart.destroy();
      plot.current = null;
    };
  }, [key]);

  useEffect(() => {
    plot.current?.setData(data as uPlot.AlignedData);
  }, [data]);

  return html`
    <figure class="chart" data-testid=${`chart-${id}`}>
      <figcaption id=${`chart-${id}-title`}>${title}</figcaption>
      ${series.length === 0 ? html`<p class="muted">Waiting for traffic…</p>` : ''}
      <div class="chart-host" ref=${host} role="img" aria-labelledby=${`chart-${id}-title`} aria-describedby="live-numbers-caption"></div>
    </figure>
  `;
}
