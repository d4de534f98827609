import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { api, errorMessage, type ModelSummary, type ShadowReport } from '../api';
import { agreementText } from '../format';
import { messageOf, usePolling } from '../hooks';

const SHADOW_POLL_MS = 2500;

/**
 * A model's shadow version and how often it agrees with the served answers (GET /v1/models/{name}/shadow,
 * refreshed as the model list is): the top-1 class, and the top-k set, each with its 95% interval.
 */
export function ShadowAgreement({ model }: { model: ModelSummary & { shadow: NonNullable<ModelSummary['shadow']> } }) {
  const [report, setReport] = useState<ShadowReport | string | null>(null);
  usePolling(async () => {
    if (document.hidden && report) return;
    try {
      const answer = await api.shadow(model.name);
      setReport(answer.ok ? answer.body : `GET …/shadow answered ${answer.status}: ${errorMessage(answer)}`);
    } catch (failure) {
      setReport(messageOf(failure));
    }
  }, SHADOW_POLL_MS);

  const { version, sample } = model.shadow;
  const named = typeof version === 'number' ? `v${version}` : `"${version}"`;
  const head = `${named}, ${Math.round(sample * 1000) / 10}% of requests`;
  if (report === null || typeof report === 'string') return html`<span data-testid="shadow">${head}${report ? html` · <span class="error">${report}</span>` : ''}</span>`;
  const resolved = typeof version === 'string' ? (report.shadow_version === null ? ' (names no version)' : ` (v${report.shadow_version})`) : '';
  const { dropped, failed, unavailable, incomparable } = report.requests;
  const lost = Object.entries({ dropped, failed, unavailable, incomparable }).filter(([, count]) => count > 0);
  return html`
    <span data-testid="shadow">
      ${head}${resolved}
      <br />top-1 agreement <strong data-testid="shadow-top1">${agreementText(report.top1)}</strong>
      ${report.topk.k !== null ? html`<br />top-${report.topk.k} agreement <span data-testid="shadow-topk">${agreementText(report.topk)}</span>` : ''}
      ${lost.length ? html`<br /><span class="muted">${lost.map(([outcome, count]) => `${count} ${outcome}`).join(', ')}</span>` : ''}
      <br /><span class="muted">since <time datetime=${report.since}>${new Date(report.since).toLocaleString()}</time></span>
    </span>
  `;
}
