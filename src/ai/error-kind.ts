import type { ErrorKind } from './types.js';

/**
 * What an HTTP status says on its own. 409: another request holds the
 * resource, so it is treated like `overloaded` (wait, then retry).
 */
const BY_STATUS: Record<number, ErrorKind> = {
  400: 'invalid_request',
  401: 'auth',
  402: 'permission',
  403: 'permission',
  404: 'not_found',
  408: 'timeout',
  409: 'overloaded',
  413: 'context_overflow',
  422: 'invalid_request',
  429: 'rate_limit',
  503: 'overloaded',
  504: 'timeout',
  529: 'overloaded',
};

/**
 * Words of an error's code, type or message, checked in order. The first
 * two outrank the status: each provider's context-overflow wording (a 400
 * everywhere), and billing (OpenAI's `insufficient_quota` is a 429, but
 * waiting does not help). The rest name the kind of an error that has no
 * status (a mid-stream event) or an unusual one. No "try again": Bedrock
 * says it in 400s that must not be retried.
 */
const BY_WORDS: [RegExp, ErrorKind][] = [
  [
    /context.length|exceed_context|exceed context limit|(prompt|input) is too long|too many input tokens|input token count.*exceeds|maximum context|model token limit|range of input length/i,
    'context_overflow',
  ],
  [/insufficient.(quota|balance)|arrearage/i, 'permission'],
  [/overload|unavailable|capacity/i, 'overloaded'],
  [/rate.?limit|exhausted|throttl|too many requests|slow_down/i, 'rate_limit'],
  [/timeout|deadline/i, 'timeout'],
  [/server|internal|api_error|streamerror/i, 'server'],
  [/auth/i, 'auth'],
  [/denied|permission/i, 'permission'],
  [/notfound|not_found/i, 'not_found'],
  [/invalid|validation/i, 'invalid_request'],
];

/** The kind of a provider's error, from its HTTP status (0: none) and its code, type and message. */
export function errorKind(status: number, text: string): ErrorKind {
  const i = BY_WORDS.findIndex(([words]) => words.test(text));
  if (i >= 0 && (i < 2 || !status)) return BY_WORDS[i]?.[1] as ErrorKind;
  return BY_STATUS[status] ?? (status >= 500 ? 'server' : (BY_WORDS[i]?.[1] ?? 'unknown'));
}

/** Kinds where the same request may succeed a moment later. */
export function isRetryable(kind: ErrorKind): boolean {
  return /^(rate_limit|overloaded|server|network|timeout)$/.test(kind);
}
