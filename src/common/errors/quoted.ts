/**
 * A client's string as a message shows it: at most `max` characters, then `cut` where it was cut.
 * An error message or log line repeats what it refuses, and a client decides how long that is.
 */
export function shortened(text: string, max = 64, cut = '...'): string {
  return text.length > max ? `${text.slice(0, max)}${cut}` : text;
}

/** The same, in double quotes as a JSON string: quotes, backslashes and control characters escaped, so it cannot bend the message. */
export function quoted(text: string, max = 64): string {
  return JSON.stringify(shortened(text, max));
}
