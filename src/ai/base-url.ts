/**
 * Checks on a base URL before anything is sent to it. A URL that carries
 * `user:password@` would put those credentials into every error that quotes
 * the URL, and fetch refuses it with a TypeError that quotes it whole.
 */

/** `url` with any `user:password@` shown as `***@`, for messages. */
export function hideUserinfo(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#]*@/i, '$1***@');
}

/**
 * Why `url` cannot be used as a base URL, or `undefined` when it can. `where`
 * names its source in the message, such as `--base-url` or `model.baseUrl`.
 */
export function baseUrlProblem(url: string, where = 'The base URL'): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `${where} ${JSON.stringify(hideUserinfo(url))} is not a valid URL`;
  }
  if (parsed.username !== '' || parsed.password !== '') {
    return `${where} ${hideUserinfo(url)} contains credentials (user:password@); pass the key as an API key or a header instead`;
  }
  return undefined;
}
