/**
 * The service's public API as this page uses it: the same calls any client makes, same origin
 * (the Content-Security-Policy's connect-src 'self'), with the version picked by X-Model-Version
 * and, when one is given, the credential of credential.ts.
 */
import { credentialHeaders } from './credential';

/** AVAILABLE: not loaded yet (MODEL_LOADING=lazy); its first request loads it. */
export type VersionState = 'AVAILABLE' | 'LOADING' | 'READY' | 'FAILED' | 'UNAVAILABLE';

export interface VersionSummary {
  version: number;
  state: VersionState;
  reason?: string;
  /** Present when the loaded version takes image uploads. */
  image?: { width: number; height: number; color: string };
  /** Present while the version is deprecated: the configured RFC 3339 date-time, or true. */
  deprecated?: true | string;
  /** RFC 3339 date-time of its sunset, when it has one (then `after_sunset` says what happens after it). */
  sunset?: string;
  after_sunset?: 'serve' | 'refuse';
  /** Where to read about the deprecation. */
  link?: string;
}

export interface ModelSummary {
  name: string;
  versions: VersionSummary[];
  labels: Record<string, number>;
  default_version?: number;
  weights?: Record<string, number>;
  /** Present while the model's config.json on disk is refused. */
  config_error?: ConfigError;
  /** Present while a shadow version is configured (its figures: api.shadow). */
  shadow?: { version: number | string; sample: number; since: string };
}

/** Agreement of the shadow version with the served answers, in compared rows. */
export interface ShadowAgreement {
  agree: number;
  total: number;
  rate: number | null;
  interval95: [number, number] | null;
}

/** GET /v1/models/{name}/shadow, as far as the page reads it. */
export interface ShadowReport {
  shadow: { version: number | string; sample: number };
  /** The version the shadow names now; null when its label names none. */
  shadow_version: number | null;
  since: string;
  requests: { compared: number; incomparable: number; failed: number; unavailable: number; dropped: number };
  rows: number;
  top1: ShadowAgreement;
  topk: ShadowAgreement & { k: number | null };
}

export interface ConfigError {
  file: string;
  reason: string;
  /** ISO date-time: refused since then. */
  since: string;
  /** `last_good`: serving with its last usable config; `none`: not served until the file is fixed. */
  in_force: 'last_good' | 'none';
}

export interface TensorSpec {
  name: string;
  datatype: string;
  shape: number[];
}

export interface ModelMetadata {
  model: string;
  version: number;
  task: string;
  description?: string;
  inputs: TensorSpec[];
  outputs: TensorSpec[];
  features?: string[];
  labels?: string[];
  evaluation?: Record<string, unknown>;
  sha256: string;
}

export interface V2Metadata {
  name: string;
  versions: string[];
  platform: string;
  inputs: TensorSpec[];
  outputs: TensorSpec[];
}

export const VERSION_HEADER = 'X-Model-Version';
/** The version picker's "no header" choice: the model's default version (or its canary split) answers. */
export const DEFAULT_CHOICE = '';
/** The multipart field predict reads images from (src/predict/multipart-images.ts). */
export const IMAGE_FIELD = 'image';

/** One answer: its status, parsed body (JSON when it is JSON, else text), the version that served it and the round trip. */
export interface ApiAnswer<T = unknown> {
  ok: boolean;
  status: number;
  body: T;
  /** The response's X-Model-Version: the version that actually answered. */
  servedVersion: string | null;
  /** The response's Deprecation and Sunset headers: the version that answered is deprecated (null when it is not). */
  deprecation: string | null;
  sunset: string | null;
  /** Milliseconds from sending to the whole body read, as this browser saw it. */
  ms: number;
}

export async function call<T = unknown>(path: string, init: RequestInit = {}): Promise<ApiAnswer<T>> {
  const started = performance.now();
  const response = await fetch(path, { ...init, headers: { Accept: 'application/json', ...credentialHeaders(), ...(init.headers as Record<string, string>) } });
  const text = await response.text();
  const ms = performance.now() - started;
  let body: unknown = text;
  if ((response.headers.get('content-type') ?? '').includes('json')) {
    try {
      body = JSON.parse(text);
    } catch {
      // Kept as text: shown as it came.
    }
  }
  const headers = response.headers;
  return {
    ok: response.ok,
    status: response.status,
    body: body as T,
    servedVersion: headers.get(VERSION_HEADER),
    deprecation: headers.get('Deprecation'),
    sunset: headers.get('Sunset'),
    ms,
  };
}

export function versionHeaders(choice: string): Record<string, string> {
  return choice === DEFAULT_CHOICE ? {} : { [VERSION_HEADER]: choice };
}

const modelPath = (name: string): string => `/v1/models/${encodeURIComponent(name)}`;

export const api = {
  models: () => call<{ models: ModelSummary[] }>('/v1/models'),
  metadata: (name: string, choice: string) => call<ModelMetadata>(modelPath(name), { headers: versionHeaders(choice) }),
  shadow: (name: string) => call<ShadowReport>(`${modelPath(name)}/shadow`),
  predictJson: (name: string, choice: string, body: unknown) =>
    call(`${modelPath(name)}/predict`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...versionHeaders(choice) },
      body: JSON.stringify(body),
    }),
  predictImage: (name: string, choice: string, image: Blob, filename: string, topK: number) => {
    const form = new FormData();
    form.append(IMAGE_FIELD, image, filename);
    // No Content-Type here: the browser writes multipart/form-data with its boundary.
    return call(`${modelPath(name)}/predict?top_k=${topK}`, { method: 'POST', headers: versionHeaders(choice), body: form });
  },
  v2Metadata: (name: string, choice: string) => call<V2Metadata>(`/v2/models/${encodeURIComponent(name)}`, { headers: versionHeaders(choice) }),
  v2Infer: (name: string, choice: string, body: string) =>
    call(`/v2/models/${encodeURIComponent(name)}/infer`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...versionHeaders(choice) },
      body,
    }),
  metrics: async (): Promise<string> => {
    const response = await fetch('/metrics', { headers: { Accept: 'text/plain' } });
    if (!response.ok) throw new Error(`GET /metrics answered ${response.status}`);
    return response.text();
  },
};

/** The message of an error answer: /v1's {"message"}, /v2's {"error"}, else the status. */
export function errorMessage(answer: ApiAnswer): string {
  const body = answer.body as { message?: unknown; error?: unknown } | string | null;
  if (body && typeof body === 'object') {
    if (typeof body.message === 'string') return body.message;
    if (typeof body.error === 'string') return body.error;
  }
  if (typeof body === 'string' && body.trim() !== '') return body.slice(0, 500);
  return `HTTP ${answer.status}`;
}
