/**
 * Checks on a base URL before anything is sent to it. A URL that carries
 * `user:password@` would put those credentials into every error that quotes
 * the URL, and fetch refuses it with a TypeError that quotes it whole.
 */

/** A scheme and the slashes after it; the WHATWG parser takes `\` for `/` in http(s) URLs. */
const SCHEME = /^\s*[a-z][a-z0-9+.-]*:[/\\]*/i;
/** Up to the last `@` before the path: the userinfo of any URL the parser accepts. */
const USERINFO = /^(\s*[a-z][a-z0-9+.-]*:[/\\]*)[^/?#\\]*@/i;

/** `url` with any `user:password@` shown as `***@`, for messages. */
export function hideUserinfo(url: string): string {
  const hidden = url.replace(USERINFO, '$1***@');
  const parsed = parse(hidden);
  const clean = parsed
    ? (parsed.username === '***' || parsed.username === '') && parsed.password === ''
    : !hidden.slice(hidden.indexOf('***@') + 4).includes('@');
  if (clean) return hidden;
  // The pattern and the parser disagree on where the userinfo ends (or the URL does not parse):
  // hide everything up to the last `@`, which may hide more than the userinfo but never less.
  return `${SCHEME.exec(url)?.[0] ?? ''}***${url.slice(url.lastIndexOf('@'))}`;
}

/**
 * Why `url` cannot be used as a base URL, or `undefined` when it can. `where`
 * names its source in the message, such as `--base-url` or `model.baseUrl`.
 */
export function baseUrlProblem(url: string, where = 'The base URL'): string | undefined {
  const parsed = parse(url);
  if (!parsed) return `${where} ${JSON.stringify(hideUserinfo(url))} is not a valid URL`;
  if (parsed.username !== '' || parsed.password !== '') {
    return `${where} ${hideUserinfo(url)} contains credentials (user:password@); pass the key as an API key or a header instead`;
  }
  return undefined;
}

function parse(url: string): URL | undefined {
  try {
    return new URL(url);
  } catch {
    return undefined;
  }
}
