import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, type ConfigError, type ModelMetadata, type ModelSummary, type VersionSummary } from '../api';
import { messageOf } from '../hooks';
import { ShadowAgreement } from './shadow-agreement';

/** Each READY version's metadata (GET /v1/models/{name} with its number), fetched once per time it becomes READY. */
function useVersionMetadata(models: ModelSummary[] | null): Map<string, ModelMetadata | string> {
  const cache = useRef(new Map<string, ModelMetadata | string>());
  const [, rerender] = useState(0);
  useEffect(() => {
    if (!models) return;
    const ready = new Set<string>();
    for (const model of models) {
      for (const version of model.versions) {
        if (version.state !== 'READY') continue;
        const key = `${model.name}@${version.version}`;
        ready.add(key);
        if (cache.current.has(key)) continue;
        cache.current.set(key, 'loading…');
        api
          .metadata(model.name, String(version.version))
          .then((answer) => cache.current.set(key, answer.ok ? answer.body : `metadata: HTTP ${answer.status}`))
          .catch((error: unknown) => cache.current.set(key, `metadata: ${messageOf(error)}`))
          .finally(() => rerender((n) => n + 1));
      }
    }
    // A version that left READY (reloaded, unloaded, failed) is read again when it is back.
    for (const key of [...cache.current.keys()]) if (!ready.has(key)) cache.current.delete(key);
  }, [models]);
  return cache.current;
}

function share(weights: Record<string, number>): string {
  const total = Object.values(weights).reduce((a, b) => a + b, 0);
  return Object.entries(weights)
    .map(([version, weight]) => `v${version}: ${total > 0 ? Math.round((weight / total) * 1000) / 10 : 0}%`)
    .join(' · ');
}

function details(version: VersionSummary, metadata: ModelMetadata | string | undefined) {
  if (version.reason) return html`<span class="reason">${version.reason}</span>`;
  // Its metadata is not read: asking for it would load it (MODEL_LOADING=lazy), every 2.5 s for every open page.
  if (version.state === 'AVAILABLE') return html`<span class="muted">not loaded: its first request loads it</span>`;
  if (version.state !== 'READY') return '';
  if (metadata === undefined || typeof metadata === 'string') return metadata ?? '';
  const facts = [
    metadata.task,
    metadata.inputs.map((input) => `${input.name} ${input.datatype} [${input.shape.join(', ')}]`).join(', '),
    version.image ? `images ${version.image.width}×${version.image.height} ${version.image.color}` : '',
    metadata.features ? `${metadata.features.length} features` : '',
    metadata.labels ? `${metadata.labels.length} classes` : '',
    typeof metadata.evaluation?.accuracy === 'number' ? `accuracy ${metadata.evaluation.accuracy}` : '',
  ];
  return facts.filter(Boolean).join(' · ');
}

/**
 * A deprecated version's badges: "deprecated", and its sunset's date, or "retired" once a sunset that
 * refuses has passed (its requests then answer 410). The link, when configured, opens the notice.
 */
function DeprecationBadges({ version }: { version: VersionSummary }) {
  if (version.deprecated === undefined) return '';
  const sunset = version.sunset === undefined ? undefined : new Date(version.sunset);
  const retired = sunset !== undefined && version.after_sunset === 'refuse' && sunset.getTime() <= Date.now();
  const since = typeof version.deprecated === 'string' ? ` since ${version.deprecated.slice(0, 10)}` : '';
  const deprecated = html`<span class="badge badge-deprecated" title=${`deprecated${since}`}>deprecated</span>`;
  return html`
    ${version.link ? html`<a href=${version.link} target="_blank" rel="noopener noreferrer">${deprecated}</a>` : deprecated}
    ${sunset === undefined
      ? ''
      : html`<span class="badge badge-sunset" data-testid="sunset" title=${`sunset ${version.sunset}; after it: ${version.after_sunset ?? 'serve'}`}>
          ${retired ? 'retired' : 'sunset'} <time datetime=${version.sunset}>${sunset.toISOString().slice(0, 10)}</time>
        </span>`}
  `;
}

/** A refused config.json: which file and why, since when, and what the model serves with meanwhile. */
function ConfigErrorNote({ error }: { error: ConfigError }) {
  const since = new Date(error.since);
  const inForce = error.in_force === 'last_good' ? 'still serving with its last good config' : 'not served until it is fixed';
  return html`
    <p class="error" role="status" data-testid="config-error">
      ${error.file} refused since <time datetime=${error.since}>${since.toLocaleString()}</time>, ${inForce}: ${error.reason}
    </p>
  `;
}

function ModelCard({ model, metadata }: { model: ModelSummary; metadata: Map<string, ModelMetadata | string> }) {
  const titleId = `model-${model.name}`;
  const labels = Object.entries(model.labels);
  const described = model.versions.map((v) => metadata.get(`${model.name}@${v.version}`)).find((m): m is ModelMetadata => typeof m === 'object');
  return html`
    <article class="card model-card" aria-labelledby=${titleId} data-model=${model.name}>
      <h3 id=${titleId}>${model.name}</h3>
      ${described?.description ? html`<p class="description">${described.description}</p>` : ''}
      <dl class="facts">
        <div><dt>Default version</dt><dd data-testid="default-version">${model.default_version ?? 'none READY'}</dd></div>
        <div>
          <dt>Labels</dt>
          <dd>${labels.length ? labels.map(([label, version]) => `${label} → v${version}`).join(', ') : 'none'}</dd>
        </div>
        <div>
          <dt>Canary weights</dt>
          <dd>${model.weights ? share(model.weights) : 'none: requests without a version go to the default'}</dd>
        </div>
        ${model.shadow
          ? html`<div class="shadow-fact"><dt>Shadow version</dt><dd><${ShadowAgreement} model=${model} /></dd></div>`
          : ''}
      </dl>
      ${model.config_error ? html`<${ConfigErrorNote} error=${model.config_error} />` : ''}
      <table class="versions">
        <caption class="sr-only">Versions of ${model.name}</caption>
        <thead>
          <tr><th scope="col">Version</th><th scope="col">State</th><th scope="col">Details</th></tr>
        </thead>
        <tbody>
          ${model.versions.map(
            (version) => html`
              <tr key=${version.version} data-version=${version.version}>
                <td>${version.version}${version.version === model.default_version ? html` <span class="tag">default</span>` : ''}</td>
                <td>
                  <span class=${`state state-${version.state.toLowerCase()}`}>${version.state}</span>
                  <${DeprecationBadges} version=${version} />
                </td>
                <td class="details">${details(version, metadata.get(`${model.name}@${version.version}`))}</td>
              </tr>
            `,
          )}
        </tbody>
      </table>
    </article>
  `;
}

export function ModelsPanel({ models, error, updatedAt }: { models: ModelSummary[] | null; error: string | null; updatedAt: Date | null }) {
  const metadata = useVersionMetadata(models);
  return html`
    <section id="models" aria-labelledby="models-title" class="panel">
      <div class="panel-head">
        <h2 id="models-title">Models</h2>
        <p class="muted" aria-live="polite">
          ${error ? html`<span class="error">${error}</span>` : updatedAt ? `updated ${updatedAt.toLocaleTimeString()}, every 2.5 s` : 'loading…'}
        </p>
      </div>
      ${models && models.length === 0 ? html`<p>No models in the repository.</p>` : ''}
      <div class="model-grid">${(models ?? []).map((model) => html`<${ModelCard} key=${model.name} model=${model} metadata=${metadata} />`)}</div>
    </section>
  `;
}
