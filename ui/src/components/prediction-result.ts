import { html } from 'htm/preact';
import { type ApiAnswer, errorMessage } from '../api';
import { formatJson, percent, type RankedClass, rankedClasses } from '../format';

export interface PredictionOutcome {
  /** Counts the requests of the page: tells a new answer from the one before (data-request). */
  request: number;
  /** What was sent: "form", "upload", "drawing" or "JSON". */
  source: string;
  answer?: ApiAnswer;
  /** The request never got an answer (the service is gone). */
  failure?: string;
}

export function TopKBars({ classes }: { classes: RankedClass[] }) {
  return html`
    <ol class="bars" aria-label="Classes, most probable first">
      ${classes.map(
        (item) => html`
          <li key=${item.label}>
            <span class="bar-label">${item.label}</span>
            <span class="bar-track" aria-hidden="true"><span class="bar-fill" style=${{ width: `${Math.max(0, Math.min(1, item.probability)) * 100}%` }}></span></span>
            <span class="bar-value">${percent(item.probability)}</span>
          </li>
        `,
      )}
    </ol>
  `;
}

/** A /v1 predict answer: per prediction its classes as bars (or its outputs as JSON), the version that served and the round trip. */
export function PredictionResult({ outcome }: { outcome: PredictionOutcome | null }) {
  if (!outcome) return html`<div class="result" aria-live="polite"><p class="muted">The answer appears here.</p></div>`;
  const { answer, failure, source, request } = outcome;
  if (!answer) {
    return html`<div class="result" aria-live="polite" data-request=${request}><p class="error" role="alert">No answer (${source}): ${failure}</p></div>`;
  }
  const predictions = answer.ok ? ((answer.body as { predictions?: unknown[] }).predictions ?? []) : [];
  const ranked = predictions.map((prediction) => rankedClasses(prediction));
  const top = ranked[0]?.[0];
  return html`
    <div class="result" aria-live="polite" data-testid="prediction-result" data-request=${request}>
      <p class="result-meta">
        <span>From the ${source}:</span>
        <span>HTTP <strong data-testid="status">${answer.status}</strong></span>
        <span>served by version <strong data-testid="served-version">${answer.servedVersion ?? '–'}</strong></span>
        ${answer.deprecation
          ? html`<span class="badge badge-deprecated" data-testid="answer-deprecated">deprecated${answer.sunset ? `, sunset ${answer.sunset}` : ''}</span>`
          : ''}
        <span><strong data-testid="latency">${answer.ms.toFixed(0)}</strong> ms round trip</span>
      </p>
      ${answer.ok ? '' : html`<p class="error" role="alert">${errorMessage(answer)}</p>`}
      ${top ? html`<p class="top-label">Top class: <strong data-testid="top-label">${top.label}</strong> (${percent(top.probability)})</p>` : ''}
      ${ranked.map((classes, i) =>
        classes
          ? html`<${TopKBars} key=${i} classes=${classes} />`
          : html`<pre class="json" tabindex="0" key=${i}>${formatJson(predictions[i])}</pre>`,
      )}
    </div>
  `;
}
