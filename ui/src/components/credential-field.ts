import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { saveCredential, savedCredential } from '../credential';

/**
 * Where a visitor gives the API key (or token) the model APIs ask for when PREDICT_AUTH is on. A
 * password field, so the key is not shown on screen; kept for this tab only (credential.ts).
 */
export function CredentialField() {
  const [draft, setDraft] = useState('');
  const [saved, setSaved] = useState(savedCredential() !== '');

  const use = (event: Event): void => {
    event.preventDefault();
    saveCredential(draft.trim());
    setSaved(draft.trim() !== '');
    setDraft('');
  };
  const forget = (): void => {
    saveCredential('');
    setSaved(false);
  };

  return html`
    <form class="credential" onSubmit=${use}>
      <label for="credential">API key or token</label>
      <input
        id="credential"
        type="password"
        autocomplete="off"
        spellcheck=${false}
        placeholder=${saved ? 'one is in use' : 'when the service asks for one'}
        value=${draft}
        onInput=${(event: Event) => setDraft((event.target as HTMLInputElement).value)}
      />
      <button type="submit" disabled=${draft.trim() === ''}>Use</button>
      ${saved ? html`<button type="button" onClick=${forget}>Forget</button>` : null}
      <span class="muted" id="credential-state" aria-live="polite">${saved ? 'sent with every request of this tab' : 'none sent'}</span>
    </form>
  `;
}
