import { shortened } from '../errors/quoted';

/**
 * Query parameters whose values are shown: those the service itself reads and that are never
 * secret. Every other value is redacted, whatever its name: clients and proxies put tokens in
 * URLs under names no list foresees (`?sid=`, `?sig=`), and logs are read by more people than
 * the secret is meant for.
 */
const SHOWN_PARAMETERS: ReadonlySet<string> = new Set(['top_k']);
const MAX_PATH_CHARS = 256;
const MAX_PARAMETERS = 16;
const MAX_PARAMETER_CHARS = 64;
export const REDACTED = '[REDACTED]';

/**
 * A request URL as every log line shows it (the request log, the guards' and
 * the error filter's warnings): the path cut at 256 characters, and the query
 * with every parameter's name but only the service's own harmless values
 * (`top_k`); the others (`token`, `api_key`, anything) read [REDACTED].
 */
export function loggableUrl(url: string): string {
  const queryStart = url.indexOf('?');
  const path = queryStart === -1 ? url : url.slice(0, queryStart);
  const shownPath = shortened(path, MAX_PATH_CHARS);
  if (queryStart === -1) return shownPath;
  const parameters = [...new URLSearchParams(url.slice(queryStart + 1)).entries()];
  const shown = parameters
    .slice(0, MAX_PARAMETERS)
    .map(([name, value]) => `${encodeURIComponent(shortened(name, MAX_PARAMETER_CHARS))}=${SHOWN_PARAMETERS.has(name) ? encodeURIComponent(shortened(value, MAX_PARAMETER_CHARS)) : REDACTED}`);
  const more = parameters.length > MAX_PARAMETERS ? `&...(${parameters.length - MAX_PARAMETERS} more)` : '';
  return `${shownPath}?${shown.join('&')}${more}`;
}
