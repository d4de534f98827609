import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, type ApiAnswer, type ModelMetadata } from '../api';
import { concreteShape, formatJson, zeros } from '../format';
import { DrawingPad, type DrawingPadHandle } from './drawing-pad';

/** Sends one request and reports its answer (or why there was none) under the given source name. */
export type Run = (source: string, send: () => Promise<ApiAnswer>) => Promise<void>;

interface InputProps {
  name: string;
  choice: string;
  metadata: ModelMetadata;
  run: Run;
  busy: boolean;
}

/** Models whose manifest names their features: one number field per feature, sent as one named instance. */
export function FeatureForm({ name, choice, metadata, run, busy }: InputProps) {
  const features = metadata.features ?? [];
  const [values, setValues] = useState<Record<string, string>>({});
  const submit = (event: Event): void => {
    event.preventDefault();
    const instance = Object.fromEntries(features.map((feature) => [feature, Number(values[feature])]));
    void run('form', () => api.predictJson(name, choice, { instances: [instance] }));
  };
  return html`
    <form class="feature-form" onSubmit=${submit} aria-label=${`Features of ${name}`}>
      <fieldset>
        <legend>Features of ${name}</legend>
        <div class="fields">
          ${features.map((feature) => {
            const id = `feature-${feature}`;
            return html`
              <div class="field" key=${feature}>
                <label for=${id}>${feature}</label>
                <input
                  id=${id}
                  name=${feature}
                  type="number"
                  step="any"
                  inputmode="decimal"
                  required
                  value=${values[feature] ?? ''}
                  onInput=${(event: Event) => setValues({ ...values, [feature]: (event.target as HTMLInputElement).value })}
                />
              </div>
            `;
          })}
        </div>
      </fieldset>
      <button type="submit" disabled=${busy}>Predict</button>
    </form>
  `;
}

/** Models without named features or images: the /v1 body as JSON, pre-filled with zeros in the input's shape. */
export function InstancesEditor({ name, choice, metadata, run, busy }: InputProps) {
  const example = (): string => {
    const instance =
      metadata.inputs.length === 1
        ? zeros(concreteShape(metadata.inputs[0].shape.slice(1)))
        : Object.fromEntries(metadata.inputs.map((input) => [input.name, zeros(concreteShape(input.shape.slice(1)))]));
    return formatJson({ instances: [instance] });
  };
  const [text, setText] = useState(example);
  const [problem, setProblem] = useState<string | null>(null);
  useEffect(() => setText(example()), [name, metadata.version]);
  const submit = (event: Event): void => {
    event.preventDefault();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (error) {
      setProblem(`not valid JSON: ${(error as Error).message}`);
      return;
    }
    setProblem(null);
    void run('JSON', () => api.predictJson(name, choice, body));
  };
  return html`
    <form onSubmit=${submit} class="instances-form">
      <label for="instances-body">Request body of POST /v1/models/${name}/predict (JSON)</label>
      <textarea id="instances-body" rows="6" spellcheck="false" value=${text} onInput=${(event: Event) => setText((event.target as HTMLTextAreaElement).value)}></textarea>
      ${problem ? html`<p class="error" role="alert">${problem}</p>` : ''}
      <button type="submit" disabled=${busy}>Predict</button>
    </form>
  `;
}

/** Image models: an upload with its preview, or a drawing; both sent as multipart files with top_k. */
export function ImageInput({ name, choice, metadata, run, busy }: InputProps) {
  const topK = Math.min(5, metadata.labels?.length ?? 5);
  const [file, setFile] = useState<File | null>(null);
  const [preview, setPreview] = useState<string | null>(null);
  const [inked, setInked] = useState(false);
  const pad = useRef<DrawingPadHandle | null>(null);

  const classifyFile = (chosen: File): Promise<void> => run('upload', () => api.predictImage(name, choice, chosen, chosen.name, topK));
  const choose = (event: Event): void => {
    const chosen = (event.target as HTMLInputElement).files?.[0] ?? null;
    setFile(chosen);
    setPreview(null);
    if (!chosen) return;
    // A data: URL, not a blob: one: the Content-Security-Policy allows images from 'self' and data: only.
    const reader = new FileReader();
    reader.onload = () => setPreview(typeof reader.result === 'string' ? reader.result : null);
    reader.readAsDataURL(chosen);
    void classifyFile(chosen);
  };
  const classifyDrawing = async (): Promise<void> => {
    const handle = pad.current;
    if (!handle) return;
    await run('drawing', async () => api.predictImage(name, choice, await handle.toPng(), 'drawing.png', topK));
  };

  return html`
    <div class="image-input">
      <fieldset>
        <legend>Upload an image</legend>
        <label for="image-file">Image file (PNG, JPEG, WebP or GIF)</label>
        <input id="image-file" type="file" accept="image/png,image/jpeg,image/webp,image/gif" onChange=${choose} />
        ${preview ? html`<img class="preview" src=${preview} alt=${`Preview of ${file?.name ?? 'the upload'}`} data-testid="upload-preview" />` : ''}
        <div class="buttons">
          <button type="button" disabled=${!file || busy} onClick=${() => file && void classifyFile(file)}>Classify upload</button>
        </div>
      </fieldset>
      <fieldset>
        <legend>Or draw a digit</legend>
        <${DrawingPad} handle=${pad} onInk=${setInked} label="Drawing pad: draw with the mouse, a pen or a finger, dark on light" />
        <div class="buttons">
          <button type="button" disabled=${!inked || busy} onClick=${() => void classifyDrawing()}>Classify drawing</button>
          <button type="button" class="secondary" onClick=${() => pad.current?.clear()}>Clear</button>
        </div>
      </fieldset>
    </div>
  `;
}
