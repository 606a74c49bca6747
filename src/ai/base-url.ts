/**
 * Checks on a base URL before anything is sent to it. A URL that carries
 * `user:password@` would put those credentials into every error that quotes
 * the URL, and fetch refuses it with a TypeError that quotes it whole.
 */

/** A scheme and the slashes after it; the WHATWG parser takes `\` for `/` in http(s) URLs. */
const SCHEME = /^\s*[a-z][a-z0-9+.-]*:[/\\]*/i;

/**
 * `url` with any `user:password@` shown as `***@`, for messages. Hidden is
 * everything up to the last `@` before a query or fragment, which is where
 * the parser ends the userinfo, or later when the path holds an `@` too:
 * more than the userinfo may be hidden then, never less.
 */
export function hideUserinfo(url: string): string {
  const end = url.search(/[?#]/);
  const at = url.lastIndexOf('@', end === -1 ? url.length : end);
  const scheme = SCHEME.exec(url)?.[0] ?? '';
  return at < scheme.length ? url : `${scheme}***${url.slice(at)}`;
}

/**
 * Why `url` cannot be used as a base URL, or `undefined` when it can. `where`
 * names its source in the message, such as `--base-url` or `model.baseUrl`.
 */
export function baseUrlProblem(url: string, where = 'The base URL'): string | undefined {
  const parsed = parseUrl(url);
  if (!parsed) return `${where} ${JSON.stringify(hideUserinfo(url))} is not a valid URL`;
  if (parsed.username !== '' || parsed.password !== '') {
    return `${where} ${hideUserinfo(url)} contains credentials (user:password@); pass the key as an API key or a header instead`;
  }
  return undefined;
}

/** `url` parsed, against `base` when given, or `undefined` when it is not a URL. */
export function parseUrl(url: string, base?: string): URL | undefined {
  try {
    return new URL(url, base);
  } catch {
    return undefined;
  }
}
