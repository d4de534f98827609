import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { api, type ApiAnswer, errorMessage } from '../api';
import { exampleV2Request, formatJson } from '../format';
import { messageOf } from '../hooks';

/**
 * Any model over the Open Inference Protocol: the request as JSON, pre-filled from the model's
 * /v2 metadata (each input with batch 1, zeros), sent to POST /v2/models/{name}/infer.
 */
export function V2Editor({ name, choice, revision }: { name: string; choice: string; revision: string }) {
  const [text, setText] = useState('');
  const [example, setExample] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const [answer, setAnswer] = useState<ApiAnswer | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    let current = true;
    setAnswer(null);
    api
      .v2Metadata(name, choice)
      .then((metadata) => {
        if (!current) return;
        if (!metadata.ok) {
          setProblem(`no example: GET /v2/models/${name} answered ${metadata.status}: ${errorMessage(metadata)}`);
          return;
        }
        const request = formatJson(exampleV2Request(metadata.body.inputs));
        setExample(request);
        setText(request);
        setProblem(null);
      })
      .catch((error: unknown) => current && setProblem(messageOf(error)));
    return () => {
      current = false;
    };
  }, [name, choice, revision]);

  const send = async (event: Event): Promise<void> => {
    event.preventDefault();
    try {
      JSON.parse(text);
    } catch (error) {
      setProblem(`not valid JSON: ${messageOf(error)}`);
      return;
    }
    setProblem(null);
    setBusy(true);
    try {
      setAnswer(await api.v2Infer(name, choice, text));
    } catch (error) {
      setProblem(`no answer: ${messageOf(error)}`);
    } finally {
      setBusy(false);
    }
  };

  return html`
    <form class="v2-editor" onSubmit=${send}>
      <label for="v2-body">Request body of POST /v2/models/${name}/infer (JSON)</label>
      <textarea id="v2-body" rows="8" spellcheck="false" value=${text} onInput=${(event: Event) => setText((event.target as HTMLTextAreaElement).value)}></textarea>
      <div class="buttons">
        <button type="submit" disabled=${busy}>Send to /v2</button>
        <button type="button" class="secondary" disabled=${!example} onClick=${() => setText(example)}>Reset to example</button>
      </div>
      ${problem ? html`<p class="error" role="alert">${problem}</p>` : ''}
      <div aria-live="polite" data-testid="v2-answer">
        ${answer
          ? html`
              <p class="result-meta">
                <span>HTTP <strong data-testid="v2-status">${answer.status}</strong></span>
                <span>served by version <strong>${answer.servedVersion ?? '–'}</strong></span>
                <span><strong>${answer.ms.toFixed(0)}</strong> ms round trip</span>
              </p>
              ${answer.ok ? '' : html`<p class="error" role="alert">${errorMessage(answer)}</p>`}
              <pre class="json" tabindex="0" aria-label="Response body">${typeof answer.body === 'string' ? answer.body : formatJson(answer.body)}</pre>
            `
          : ''}
      </div>
    </form>
  `;
}
