/**
 * Query parameters whose values are secrets (case-insensitive), also as the end of a longer name
 * (`access_token`, `client_secret`, `x-api-key`): clients and proxies put tokens in URLs, and logs are
 * read by more people than the secret is meant for.
 */
const SECRET_PARAMETER = /(?:^|[_.-])(?:token|access_token|api_?key|key|password|passwd|pwd|secret|signature|sig|auth|authorization|credentials?|session)$/i;
const MAX_PATH_CHARS = 256;
const MAX_PARAMETERS = 16;
const MAX_PARAMETER_CHARS = 64;
export const REDACTED = '[REDACTED]';

/**
 * A request URL as every log line shows it (the request log, the guards' and
 * the error filter's warnings): the path cut at 256 characters, and the query
 * with the value of every parameter that carries a secret (`token`,
 * `api_key`, `password`...) replaced by [REDACTED]; the other parameters stay
 * readable, cut to a readable length.
 */
export function loggableUrl(url: string): string {
  const queryStart = url.indexOf('?');
  const path = queryStart === -1 ? url : url.slice(0, queryStart);
  const shownPath = path.length > MAX_PATH_CHARS ? `${path.slice(0, MAX_PATH_CHARS)}...` : path;
  if (queryStart === -1) return shownPath;
  const parameters = [...new URLSearchParams(url.slice(queryStart + 1)).entries()];
  const shown = parameters
    .slice(0, MAX_PARAMETERS)
    .map(([name, value]) => `${encodeURIComponent(cut(name))}=${SECRET_PARAMETER.test(name) ? REDACTED : encodeURIComponent(cut(value))}`);
  const more = parameters.length > MAX_PARAMETERS ? `&...(${parameters.length - MAX_PARAMETERS} more)` : '';
  return `${shownPath}?${shown.join('&')}${more}`;
}

function cut(text: string): string {
  return text.length > MAX_PARAMETER_CHARS ? `${text.slice(0, MAX_PARAMETER_CHARS)}...` : text;
}
