/** Query parameters whose values are never secret and help read the logs. */
const SHOWN_QUERY_PARAMETERS: ReadonlySet<string> = new Set(['top_k']);
const MAX_PATH_CHARS = 256;

/**
 * The request URL as the request log shows it: the path (cut at 256
 * characters) and the query parameter names, with every value but the known
 * harmless ones replaced, so that a token a client put in the query string
 * (`?token=...`, `?api_key=...`) never reaches the logs.
 */
export function loggableUrl(url: string): string {
  const queryStart = url.indexOf('?');
  const path = queryStart === -1 ? url : url.slice(0, queryStart);
  const shownPath = path.length > MAX_PATH_CHARS ? `${path.slice(0, MAX_PATH_CHARS)}...` : path;
  if (queryStart === -1) return shownPath;
  const parameters = [...new URLSearchParams(url.slice(queryStart + 1)).entries()]
    .slice(0, 16)
    .map(([name, value]) => `${encodeURIComponent(name.slice(0, 64))}=${SHOWN_QUERY_PARAMETERS.has(name) ? encodeURIComponent(value.slice(0, 64)) : '[redacted]'}`);
  return `${shownPath}?${parameters.join('&')}`;
}
