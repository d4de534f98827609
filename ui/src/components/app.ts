import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { api, errorMessage, type ModelSummary } from '../api';
import { messageOf, usePolling } from '../hooks';
import { CredentialField } from './credential-field';
import { LivePanel } from './live-panel';
import { ModelsPanel } from './models-panel';
import { TryIt } from './try-it';

const MODELS_POLL_MS = 2500;

export function App() {
  const [models, setModels] = useState<ModelSummary[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [updatedAt, setUpdatedAt] = useState<Date | null>(null);

  usePolling(async () => {
    // A hidden tab asks nothing; the next poll after it shows again brings the list up to date.
    if (document.hidden && models) return;
    try {
      const answer = await api.models();
      if (!answer.ok) {
        setError(`GET /v1/models answered ${answer.status}: ${errorMessage(answer)}`);
        return;
      }
      // Unchanged lists keep their identity, so the panels do not redo their work every poll.
      setModels((previous) => (previous && JSON.stringify(previous) === JSON.stringify(answer.body.models) ? previous : answer.body.models));
      setError(null);
      setUpdatedAt(new Date());
    } catch (failure) {
      setError(`the service did not answer: ${messageOf(failure)}`);
    }
  }, MODELS_POLL_MS);

  return html`
    <a class="skip" href="#try">Skip to "Try it"</a>
    <header class="top">
      <h1>ONNX model server <span class="muted">playground</span></h1>
      <nav aria-label="Sections">
        <ul>
          <li><a href="#models">Models</a></li>
          <li><a href="#try">Try it</a></li>
          <li><a href="#live">Live</a></li>
          <li><a href="/docs">API docs</a></li>
        </ul>
      </nav>
      <${CredentialField} />
    </header>
    <main>
      <${ModelsPanel} models=${models} error=${error} updatedAt=${updatedAt} />
      <${TryIt} models=${models} />
      <${LivePanel} />
    </main>
  `;
}
