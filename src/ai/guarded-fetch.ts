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

import { parseUrl } from './base-url.js';

export const MAX_REDIRECTS = 5;

const REDIRECT_STATUSES = [301, 302, 303, 307, 308];

/** A redirect qcore refused to follow. Not worth a retry: the server will answer the same. */
export class RedirectRefusedError extends Error {
  override name = 'RedirectRefusedError';
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
      throw new RedirectRefusedError(`${who} sent a redirect, which a browser hides: not followed; use the final URL`);
    }
    const status = response.status;
    const location = response.headers.get('location');
    // fetch hands back a redirect status without a Location as an ordinary answer.
    if (!REDIRECT_STATUSES.includes(status) || location === null) return response;
    void response.body?.cancel().catch(() => {});
    // Not a URL: refused like another origin.
    const target = parseUrl(location, current);
    if (target?.origin !== new URL(current).origin) {
      throw new RedirectRefusedError(
        `${who} redirected to another origin, ${target?.origin ?? 'an invalid URL'} (HTTP ${status}): not followed`,
      );
    }
    const method = (options.method ?? 'GET').toUpperCase();
    // fetch turns a 301 or 302 of a POST, and a 303 of anything, into a GET without the body.
    if (status < 307 && method !== 'GET' && method !== 'HEAD') {
      throw new RedirectRefusedError(`${who} answered a ${method} with HTTP ${status}; only 307 and 308 keep its body`);
    }
    if (hops >= MAX_REDIRECTS) throw new RedirectRefusedError(`${who} sent more than ${MAX_REDIRECTS} redirects`);
    current = target.href;
  }
}

/** Bytes of an error body read at most: enough for any real error, bounded against an endless one. */
export const MAX_ERROR_BODY_BYTES = 64 * 1024;
/**
 * Characters dropped from the end of a body cut by the bound: a secret the
 * cut went through would leave its start there, where redaction cannot
 * recognise it. Longer than any key or session token.
 */
const CUT_MARGIN_CHARS = 8 * 1024;

/**
 * The body as text, reading at most `maxBytes` (then cancelling it). A cut
 * body, or one whose read failed, loses its last `CUT_MARGIN_CHARS` too.
 * Never throws.
 */
export async function readTextUpTo(response: Response, maxBytes = MAX_ERROR_BODY_BYTES): Promise<string> {
  const reader = response.body?.getReader();
  if (!reader) return '';
  const decoder = new TextDecoder();
  let text = '';
  let read = 0;
  let cut = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      read += value.length;
      text += decoder.decode(read > maxBytes ? value.subarray(0, value.length - read + maxBytes) : value, {
        stream: true,
      });
      if (read > maxBytes) {
        cut = true;
        break;
      }
    }
  } catch {
    cut = true;
  }
  reader.cancel().catch(() => {});
  return cut ? text.slice(0, -CUT_MARGIN_CHARS) : text + decoder.decode();
}
