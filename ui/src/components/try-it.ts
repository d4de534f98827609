import { html } from 'htm/preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { api, type ApiAnswer, DEFAULT_CHOICE, errorMessage, type ModelMetadata, type ModelSummary } from '../api';
import { messageOf } from '../hooks';
import { FeatureForm, ImageInput, InstancesEditor } from './inputs';
import { PredictionResult, type PredictionOutcome } from './prediction-result';
import { V2Editor } from './v2-editor';

/** The version a choice names, as far as the models list tells (the answer's X-Model-Version is the truth). */
function versionOf(model: ModelSummary, choice: string): number | undefined {
  if (choice === DEFAULT_CHOICE) return model.default_version;
  if (/^\d+$/.test(choice)) return Number(choice);
  return model.labels[choice];
}

function VersionOptions({ model }: { model: ModelSummary }) {
  const split = model.weights && Object.keys(model.weights).length > 1;
  return html`
    <option value=${DEFAULT_CHOICE}>default${split ? ' (canary split)' : model.default_version !== undefined ? ` (v${model.default_version})` : ''}</option>
    <optgroup label="Versions">
      ${model.versions.map(
        (version) =>
          html`<option key=${version.version} value=${String(version.version)}>
            ${version.version}${version.state === 'READY' ? '' : ` (${version.state})`}${version.deprecated === undefined ? '' : ' (deprecated)'}
          </option>`,
      )}
    </optgroup>
    ${Object.keys(model.labels).length
      ? html`<optgroup label="Labels">
          ${Object.entries(model.labels).map(([label, version]) => html`<option key=${label} value=${label}>${label} (v${version})</option>`)}
        </optgroup>`
      : ''}
  `;
}

export function TryIt({ models }: { models: ModelSummary[] | null }) {
  const [name, setName] = useState('');
  const [choice, setChoice] = useState(DEFAULT_CHOICE);
  const [metadata, setMetadata] = useState<ApiAnswer<ModelMetadata> | string | null>(null);
  const [outcome, setOutcome] = useState<PredictionOutcome | null>(null);
  const [busy, setBusy] = useState(false);

  const model = models?.find((candidate) => candidate.name === name);
  // The first model at start, and another one when the chosen model leaves the repository.
  useEffect(() => {
    if (!models || models.length === 0 || model) return;
    setName(models[0].name);
    setChoice(DEFAULT_CHOICE);
    setMetadata(null);
    setOutcome(null);
  }, [models, model]);
  // Changes of the model's versions (a reload, a new label) read the metadata again. A version unloaded to
  // keep the memory budget (READY -> AVAILABLE) has not changed, and reading it again would load it again.
  const revision = model
    ? JSON.stringify([model.versions.map((v) => [v.version, v.state === 'AVAILABLE' ? 'READY' : v.state]), model.labels, model.default_version, model.weights])
    : '';

  useEffect(() => {
    if (!name) return;
    let current = true;
    api
      .metadata(name, choice)
      .then((answer) => current && setMetadata(answer))
      .catch((error: unknown) => current && setMetadata(messageOf(error)));
    return () => {
      current = false;
    };
  }, [name, choice, revision]);

  const requests = useRef(0);
  const run = useCallback(async (source: string, send: () => Promise<ApiAnswer>): Promise<void> => {
    setBusy(true);
    const request = ++requests.current;
    try {
      setOutcome({ request, source, answer: await send() });
    } catch (error) {
      setOutcome({ request, source, failure: messageOf(error) });
    } finally {
      setBusy(false);
    }
  }, []);

  const selectModel = (event: Event): void => {
    const selected = (event.target as HTMLSelectElement).value;
    if (selected === name) return;
    setName(selected);
    setChoice(DEFAULT_CHOICE);
    setMetadata(null);
    setOutcome(null);
  };

  let input: unknown = html`<p class="muted">Loading the model's metadata…</p>`;
  if (typeof metadata === 'string') input = html`<p class="error" role="alert">${metadata}</p>`;
  else if (metadata && !metadata.ok) {
    input = html`<p class="error" role="alert">GET /v1/models/${name} answered ${metadata.status}: ${errorMessage(metadata)}</p>`;
  } else if (metadata && model) {
    const props = { name, choice, metadata: metadata.body, run, busy };
    const served = model.versions.find((v) => v.version === metadata.body.version) ?? model.versions.find((v) => v.version === versionOf(model, choice));
    input = served?.image
      ? html`<${ImageInput} key=${name} ...${props} />`
      : metadata.body.features?.length
        ? html`<${FeatureForm} key=${name} ...${props} />`
        : html`<${InstancesEditor} key=${name} ...${props} />`;
  }

  return html`
    <section id="try" aria-labelledby="try-title" class="panel">
      <div class="panel-head"><h2 id="try-title">Try it</h2></div>
      ${models && models.length === 0 ? html`<p>No models to try.</p>` : ''}
      <div class="pickers">
        <div class="field">
          <label for="model-picker">Model</label>
          <select id="model-picker" value=${name} onChange=${selectModel}>
            ${(models ?? []).map((m) => html`<option key=${m.name} value=${m.name}>${m.name}</option>`)}
          </select>
        </div>
        <div class="field">
          <label for="version-picker">Version (X-Model-Version)</label>
          <select id="version-picker" value=${choice} onChange=${(event: Event) => setChoice((event.target as HTMLSelectElement).value)}>
            ${model ? html`<${VersionOptions} model=${model} />` : ''}
          </select>
        </div>
      </div>
      ${metadata && typeof metadata !== 'string' && metadata.ok && metadata.body.description
        ? html`<p class="description">${metadata.body.description}</p>`
        : ''}
      <div class="try-grid">
        <div class="try-input">${input}</div>
        <${PredictionResult} outcome=${outcome} />
      </div>
      ${name
        ? html`
            <details class="v2" open>
              <summary><h3>Raw Open Inference Protocol (/v2) request</h3></summary>
              <${V2Editor} name=${name} choice=${choice} revision=${revision} />
            </details>
          `
        : ''}
    </section>
  `;
}
