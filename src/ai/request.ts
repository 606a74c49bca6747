import { MessageAssembler } from './assembler.js';
import { baseUrlProblem, parseUrl } from './base-url.js';
import { apiKeyEnvNames, getEnvApiKey } from './env.js';
import { errorKind, isRetryable } from './error-kind.js';
import { AssistantMessageEventStream } from './event-stream.js';
import { withExtraBody } from './extra-body.js';
import { fetchSameOrigin, RedirectRefusedError, readTextUpTo } from './guarded-fetch.js';
import { clipText, headerSecrets } from './redact.js';
import { StreamLimitError } from './sse.js';
import type { Context, ErrorInfo, ErrorKind, Model, StreamFunction, StreamOptions } from './types.js';

/**
 * A failure worth telling apart: its kind, whether a retry may help (from
 * the kind), and how long to wait. A boolean for `kind` is the older form:
 * retryable or not, of unknown kind.
 */
export class ProviderError extends Error {
  // Declared, and set in one Object.assign: field initializers and parameter properties cost bytes in every bundle.
  declare readonly kind: ErrorKind;
  declare readonly retryable: boolean;
  declare readonly retryAfterMs?: number;
  declare readonly status?: number;
  constructor(message: string, kind: ErrorKind | boolean = 'unknown', retryAfterMs?: number, status?: number) {
    super(message);
    const known = typeof kind === 'string';
    Object.assign(this, {
      name: 'ProviderError',
      kind: known ? kind : 'unknown',
      retryable: known ? isRetryable(kind) : kind,
      retryAfterMs,
      status,
    });
  }
}

/**
 * A protocol's own reading of an HTTP error body and headers: the error's
 * name when the protocol sends it outside the common JSON shapes, and its
 * kind when the protocol knows better than the status and wording.
 */
export type HttpErrorReader = (body: string, headers: Headers) => { label?: string; kind?: ErrorKind } | undefined;

export interface ProviderRequest {
  url: string;
  headers: Record<string, string>;
  body: unknown;
  /**
   * Signs the final request, for protocols whose signature covers the body
   * (AWS SigV4). Returns headers to add. Runs once per attempt.
   */
  sign?: (request: { url: string; headers: Record<string, string>; body: string }) => Promise<Record<string, string>>;
  /** Credentials the protocol found on its own (not `apiKey`), to redact from every error. */
  secrets?: string[];
}

/** Reads a successful response; resolves after calling `finish` or throws. */
export type ResponseConsumer = (response: Response, touch: () => void) => Promise<void>;

const DEFAULT_TIMEOUT_MS = 120_000;
const DEFAULT_MAX_RETRIES = 2;
const BASE_DELAY_MS = 500;
const MAX_DELAY_MS = 60_000;
/** setTimeout fires at once for a longer delay (about 24.8 days); anything longer is no limit at all. */
const MAX_TIMER_MS = 2_147_483_647;
/** Characters of a provider's error message kept, after redaction. */
const MAX_ERROR_MESSAGE_CHARS = 1000;
/** Characters of a malformed event quoted in the error, after redaction. */
const MAX_SAMPLE_CHARS = 200;

/** Why `model.baseUrl` must not be used, for a stream that ends before any request. */
export function modelBaseUrlProblem(model: Model): string | undefined {
  // Some protocols build their URL without a base (Bedrock from its region).
  return model.baseUrl ? baseUrlProblem(model.baseUrl, 'model.baseUrl') : undefined;
}

/**
 * Runs one streamed request with the behaviour every protocol shares: key
 * lookup, retries with backoff before the first event, a per-chunk timeout,
 * a bound on the whole stream, abort, redirects that keep credentials on
 * their origin, and errors delivered as the stream's last event. Never throws.
 */
export async function runProviderStream(
  model: Model,
  options: StreamOptions,
  asm: MessageAssembler,
  build: (apiKey: string | undefined) => ProviderRequest | Promise<ProviderRequest>,
  consume: ResponseConsumer,
  readError?: HttpErrorReader,
): Promise<void> {
  const { provider } = model;
  const problem = modelBaseUrlProblem(model);
  if (problem) return asm.fail('error', problem, 'invalid_request');
  const apiKey = options.apiKey ?? getEnvApiKey(provider);
  const envNames = apiKeyEnvNames(provider);
  if (!apiKey && envNames.length > 0) {
    return asm.fail(
      'error',
      `No API key for provider "${provider}": pass options.apiKey or set ${envNames.join(' or ')}.`,
      'auth',
    );
  }
  if (apiKey) asm.addSecrets([apiKey]);
  const aborted = (): void => asm.fail('aborted', 'Request was aborted');
  const userSignal = options.signal;
  if (userSignal?.aborted) return aborted();
  const incomplete = (): string => (asm.hasEmitted ? '; the reply is incomplete' : '');
  // One signal for the whole run: the caller's abort, or maxDurationMs running out (then `overtime` is set).
  const run = new AbortController();
  const { signal } = run;
  let overtime = false;
  const failOvertime = (): void =>
    asm.fail(
      'error',
      `Timed out: the stream took longer than maxDurationMs (${options.maxDurationMs} ms)${incomplete()}`,
      'timeout',
    );
  const onAbort = (): void => run.abort(userSignal?.reason);
  userSignal?.addEventListener('abort', onAbort, { once: true });
  const maxDurationMs = options.maxDurationMs ?? Number.POSITIVE_INFINITY;
  const deadline =
    maxDurationMs <= MAX_TIMER_MS
      ? setTimeout(() => {
          overtime = true;
          run.abort();
        }, maxDurationMs)
      : undefined;
  try {
    let request: ProviderRequest;
    let body: string;
    try {
      request = await build(apiKey);
      if (request.secrets) asm.addSecrets(request.secrets);
      body = JSON.stringify(withExtraBody(request.body, model, options));
    } catch (error) {
      const kind = error instanceof ProviderError ? error.kind : 'invalid_request';
      return asm.fail('error', `Could not build the request: ${describe(error)}`, kind);
    }
    const headers = { ...model.headers, ...request.headers, ...options.headers };
    // A proxy's or gateway's credentials travel in these headers; an error body may quote them.
    asm.addSecrets(headerSecrets({ ...model.headers, ...options.headers }));
    const doFetch = options.fetch ?? ((input: string, init: RequestInit) => fetch(input, init));
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const { url, sign } = request;
    for (let attempt = 0; ; attempt++) {
      // Aborted by the run's signal, or by the watchdog below when no data arrived for timeoutMs.
      const controller = new AbortController();
      const onRunAbort = (): void => controller.abort(signal.reason);
      signal.addEventListener('abort', onRunAbort, { once: true });
      // The watchdog re-arms lazily, so a chunk costs one Date.now() and no timer churn.
      let idleUntil = 0;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const touch = (): void => {
        idleUntil = Date.now() + timeoutMs;
      };
      const arm = (ms: number): void => {
        timer = setTimeout(() => {
          const left = idleUntil - Date.now();
          if (left > 0) arm(Math.min(left, MAX_TIMER_MS));
          else controller.abort();
        }, ms);
      };
      touch();
      arm(Math.min(timeoutMs, MAX_TIMER_MS));
      let responded = false;
      try {
        const response = await fetchSameOrigin(
          doFetch,
          url,
          // Signed again for each hop: the signature covers the URL.
          async (url) => ({
            method: 'POST',
            headers: sign ? { ...headers, ...(await sign({ url, headers, body })) } : headers,
            body,
            signal: controller.signal,
          }),
          provider,
        );
        touch();
        responded = true;
        if (!response.ok) throw await httpError(response, asm, readError);
        if (!response.body) throw new ProviderError('The provider sent an empty response body', 'server');
        await consume(response, touch);
        if (!asm.isEnded) throw new ProviderError('The stream ended before the reply was complete', 'network');
        return;
      } catch (error) {
        if (asm.isEnded) return;
        if (overtime) return failOvertime();
        if (signal.aborted) return aborted();
        // Refusals of qcore's own, whole as they are: a retry would meet the same answer.
        if (error instanceof RedirectRefusedError || error instanceof StreamLimitError) {
          return asm.fail('error', error.message, 'invalid_output');
        }
        // The run's signal is not aborted, so the watchdog was.
        if (controller.signal.aborted) {
          return asm.fail(
            'error',
            `Timed out: no data from ${provider} for ${timeoutMs} ms (timeoutMs)${incomplete()}`,
            'timeout',
          );
        }
        // Anything but a ProviderError came from fetch or the body: the network failed.
        const known = error instanceof ProviderError ? error : undefined;
        const retryable = known ? known.retryable : true;
        const delay = known?.retryAfterMs ?? BASE_DELAY_MS * 2 ** attempt * (1 + Math.random() * 0.25);
        if (
          !asm.hasEmitted &&
          retryable &&
          attempt < (options.maxRetries ?? DEFAULT_MAX_RETRIES) &&
          delay <= MAX_DELAY_MS
        ) {
          asm.reset();
          if (await sleep(delay, signal)) continue;
          return overtime ? failOvertime() : aborted();
        }
        let message = describe(error);
        if (!known) {
          // Node's fetch says only "fetch failed"; why (ECONNREFUSED, ENOTFOUND, bad port) is in its cause.
          const cause = (error as { cause?: { code?: unknown; message?: unknown } } | undefined)?.cause;
          const why = cause?.code ?? cause?.message;
          if (typeof why === 'string') message += ` (${why})`;
          message = responded
            ? `The connection to ${provider} was lost mid-stream: ${message}`
            : `Could not reach ${provider} at ${parseUrl(url)?.origin ?? url}: ${message}`;
        }
        const info: ErrorInfo = { errorKind: known ? known.kind : 'network' };
        if (known?.status) info.errorStatus = known.status;
        if (known?.retryAfterMs !== undefined) info.retryAfterMs = known.retryAfterMs;
        return asm.fail(
          'error',
          `${message}${retryable && attempt > 0 ? ` (after ${attempt + 1} attempts)` : ''}`,
          info,
        );
      } finally {
        clearTimeout(timer);
        signal.removeEventListener('abort', onRunAbort);
      }
    }
  } finally {
    clearTimeout(deadline);
    userSignal?.removeEventListener('abort', onAbort);
  }
}

/**
 * Builds a protocol's stream function from its two halves: how to make the
 * request, and how to read the response into the assembler. Everything else
 * (keys, retries, timeouts, abort, errors as events) is shared.
 */
export function defineStreamFunction<TOptions extends StreamOptions = StreamOptions>(
  build: (
    model: Model,
    context: Context,
    options: TOptions,
    apiKey: string | undefined,
  ) => ProviderRequest | Promise<ProviderRequest>,
  consume: (response: Response, asm: MessageAssembler, touch: () => void) => Promise<void>,
  readError?: HttpErrorReader,
): StreamFunction<TOptions> {
  return (model, context, options) => {
    const resolved = (options ?? {}) as TOptions;
    const out = new AssistantMessageEventStream();
    const asm = new MessageAssembler(model, out);
    void runProviderStream(
      model,
      resolved,
      asm,
      (apiKey) => build(model, context, resolved, apiKey),
      (response, touch) => consume(response, asm, touch),
      readError,
    );
    return out;
  };
}

/** Redacts secrets; the assembler knows them. */
export interface Redactor {
  redact(text: string): string;
}

async function httpError(response: Response, redactor: Redactor, read?: HttpErrorReader): Promise<ProviderError> {
  // Bounded: an endless body must not hold the stream open or fill memory. Redacted before any cut.
  const text = redactor.redact(await readTextUpTo(response));
  const own = read?.(text, response.headers);
  const detail = providerMessage(text);
  const label = own?.label;
  const described = label && detail ? `${label}: ${detail}` : label || detail;
  const { status, statusText } = response;
  return new ProviderError(
    `HTTP ${status}${statusText ? ` ${statusText}` : ''}${described ? `: ${described}` : ''}`,
    // The whole body: codes such as `context_length_exceeded` sit beside the message.
    own?.kind ?? errorKind(status, `${label} ${text}`),
    retryAfter(response.headers),
    status,
  );
}

/**
 * The provider's own message from an error body, in any of the common
 * shapes, cut to 1,000 characters. Redact `text` before calling this.
 */
export function providerMessage(text: string): string {
  const trimmed = text.trim();
  if (!trimmed) return '';
  try {
    const json = JSON.parse(trimmed) as unknown;
    const found = findMessage(Array.isArray(json) ? json[0] : json);
    if (found) return clipText(found, MAX_ERROR_MESSAGE_CHARS);
  } catch {
    // Not JSON: use the text itself.
  }
  return clipText(trimmed, MAX_ERROR_MESSAGE_CHARS);
}

function findMessage(json: unknown): string | undefined {
  if (typeof json !== 'object' || json === null) return undefined;
  const { error, message, Message } = json as Record<string, unknown>;
  if (typeof error === 'string') return error;
  // Any other `error` (an object, or a number) is read as an object: a primitive has no `message`.
  const inner = (error ?? {}) as Record<string, unknown>;
  const text = stringOr(inner.message);
  if (text) return inner.type && typeof inner.type === 'string' ? `${inner.type}: ${text}` : text;
  return stringOr(message) ?? stringOr(Message);
}

function stringOr(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function retryAfter(headers: Headers): number | undefined {
  const ms = headers.get('retry-after-ms');
  const value = headers.get('retry-after');
  const wait =
    ms !== null && Number.isFinite(Number(ms))
      ? Number(ms)
      : value === null
        ? Number.NaN
        : Number.isFinite(Number(value))
          ? Number(value) * 1000
          : Date.parse(value) - Date.now();
  return Number.isNaN(wait) ? undefined : Math.max(0, wait);
}

function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(false);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

export function describe(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

/**
 * Parses one event's JSON, turning a syntax error into a clear provider
 * error. Pass the assembler as `redactor`: the sample quoted is cut, and a
 * secret must go before the cut does.
 */
export function parseEventJson<T>(data: string, redactor?: Redactor): T {
  try {
    return JSON.parse(data) as T;
  } catch {
    const sample = clipText(redactor ? redactor.redact(data) : data, MAX_SAMPLE_CHARS);
    throw new ProviderError(`The provider sent malformed JSON in the stream: ${sample}`, 'invalid_output');
  }
}
