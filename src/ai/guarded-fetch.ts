/**
 * fetch as every request of qcore makes it: credentials stay on the origin
 * they were meant for, and an error body is read only up to a bound.
 *
 * fetch itself follows a redirect to any host and drops only `Authorization`
 * on the way, so `x-api-key`, `x-goog-api-key` and any custom header would
 * go wherever a server points. Here redirects are `manual`: one that stays on
 * the same origin and keeps the method and body is followed, up to
 * `MAX_REDIRECTS` hops; any other is an error that names the target origin
 * (never the full URL, which may carry a token in its query). Browsers hide a
 * manual redirect's target (an `opaqueredirect` response), so there every
 * redirect is an error.
 */

export const MAX_REDIRECTS = 5;

const REDIRECT_STATUSES: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);

/** A redirect qcore refused to follow. Not worth a retry: the server will answer the same. */
export class RedirectRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RedirectRefusedError';
  }
}

export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

/**
 * Sends a request and follows only same-origin redirects that keep the
 * method. `init` is asked again for each hop, for requests signed per URL.
 * `who` names the server in messages, such as `anthropic` or `connectAgent`.
 */
export async function fetchSameOrigin(
  doFetch: FetchLike,
  url: string,
  init: RequestInit | ((url: string) => RequestInit | Promise<RequestInit>),
  who: string,
): Promise<Response> {
  let current = url;
  for (let hops = 0; ; hops++) {
    const options = typeof init === 'function' ? await init(current) : init;
    const response = await doFetch(current, { ...options, redirect: 'manual' });
    if (response.type === 'opaqueredirect') {
      throw new RedirectRefusedError(
        `${who} answered with a redirect, and a browser hides where a redirect leads, so qcore cannot check that it stays on the same origin and does not follow it; use the address it redirects to`,
      );
    }
    const status = response.status;
    if (!REDIRECT_STATUSES.has(status)) return response;
    const location = response.headers.get('location');
    // fetch hands back a redirect status without a Location as an ordinary answer.
    if (location === null) return response;
    void response.body?.cancel().catch(() => {});
    let target: URL;
    try {
      target = new URL(location, current);
    } catch {
      throw new RedirectRefusedError(`${who} answered HTTP ${status} with a Location that is not a URL`);
    }
    const origin = new URL(current).origin;
    if (target.origin !== origin) {
      throw new RedirectRefusedError(
        `${who} redirected the request to another origin, ${target.origin} (HTTP ${status}); qcore does not follow it, since the credentials would go along. If that server is trusted, use its address`,
      );
    }
    const method = (options.method ?? 'GET').toUpperCase();
    // fetch turns a 301 or 302 of a POST, and a 303 of anything, into a GET without the body.
    if (status !== 307 && status !== 308 && method !== 'GET' && method !== 'HEAD') {
      throw new RedirectRefusedError(
        `${who} answered a ${method} with HTTP ${status}, a redirect that would drop the request body; qcore follows only 307 and 308 redirects of a ${method}`,
      );
    }
    if (hops >= MAX_REDIRECTS) throw new RedirectRefusedError(`${who} sent more than ${MAX_REDIRECTS} redirects`);
    current = target.href;
  }
}

/** Bytes of an error body read at most: enough for any real error, bounded against an endless one. */
export const MAX_ERROR_BODY_BYTES = 64 * 1024;

/**
 * The body as text, reading at most `maxBytes`; `truncated` says whether
 * more was left unread (and cancelled). Never throws for a failed read:
 * the text so far is returned.
 */
export async function readTextUpTo(
  response: Response,
  maxBytes = MAX_ERROR_BODY_BYTES,
): Promise<{ text: string; truncated: boolean }> {
  const body = response.body;
  if (!body) return { text: '', truncated: false };
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  let read = 0;
  let truncated = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      const room = maxBytes - read;
      if (value.length > room) {
        text += decoder.decode(value.subarray(0, room), { stream: true });
        truncated = true;
        break;
      }
      read += value.length;
      text += decoder.decode(value, { stream: true });
    }
  } catch {
    truncated = true;
  }
  text += decoder.decode();
  reader.cancel().catch(() => {});
  return { text, truncated };
}
