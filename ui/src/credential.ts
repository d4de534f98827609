/**
 * The credential the page sends with every API request when the service asks for one (PREDICT_AUTH):
 * an API key or a token, as `Authorization: Bearer`, which every mode takes. It is kept in this tab's
 * sessionStorage (gone when the tab closes, never shared with other tabs or sites), never in the URL,
 * and sent only to this page's own origin.
 */

const STORAGE_KEY = 'onnx-model-server.credential';

export function savedCredential(): string {
  try {
    return sessionStorage.getItem(STORAGE_KEY) ?? '';
  } catch {
    // Storage blocked (a strict privacy setting): no credential is kept.
    return '';
  }
}

export function saveCredential(value: string): void {
  try {
    if (value) sessionStorage.setItem(STORAGE_KEY, value);
    else sessionStorage.removeItem(STORAGE_KEY);
  } catch {
    // Storage blocked: the page goes on without one.
  }
}

/** The header that carries it, none without one. */
export function credentialHeaders(): Record<string, string> {
  const credential = savedCredential();
  return credential ? { Authorization: `Bearer ${credential}` } : {};
}
