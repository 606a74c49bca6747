import { MessageAssembler } from './assembler.js';
import { baseUrlProblem } from './base-url.js';
import { apiKeyEnvNames, getEnvApiKey } from './env.js';
import { errorKind, isRetryable } from './error-kind.js';
import { AssistantMessageEventStream } from './event-stream.js';
import { fetchSameOrigin, RedirectRefusedError, readTextUpTo } from './guarded-fetch.js';
import { clipText } from './redact.js';
import { StreamLimitError } from './sse.js';
import type { Context, ErrorInfo, ErrorKind, Model, StreamFunction, StreamOptions } from './types.js';

/**
 * A failure worth telling apart: its kind, whether a retry may help (from
 * the kind), and how long to wait. A boolean for `kind` is the older form:
 * retryable or not, of unknown kind.
 */
export class ProviderError extends Error {
  readonly kind: ErrorKind;
  readonly retryable: boolean;
  constructor(
    message: string,
    kind: ErrorKind | boolean = 'unknown',
    readonly retryAfterMs?: number,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'ProviderError';
    this.kind = typeof kind === 'string' ? kind : 'unknown';
    this.retryable = typeof kind === 'string' ? isRetryable(kind) : kind;
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
  const problem = modelBaseUrlProblem(model);
  if (problem) {
    asm.fail('error', problem, 'invalid_request');
    return;
  }
  const apiKey = options.apiKey ?? getEnvApiKey(model.provider);
  const envNames = apiKeyEnvNames(model.provider);
  if (!apiKey && envNames.length > 0) {
    asm.fail(
      'error',
      `No API key for provider "${model.provider}": pass options.apiKey or set ${envNames.join(' or ')}.`,
      'auth',
    );
    return;
  }
  if (apiKey) asm.addSecrets([apiKey]);
  if (options.signal?.aborted) {
    asm.fail('aborted', 'Request was aborted');
    return;
  }
  // One signal for the whole run: the caller's abort, or maxDurationMs running out.
  const controller = new AbortController();
  const run: RunState = { signal: controller.signal, overtime: false };
  const userSignal = options.signal;
  const onAbort = (): void => controller.abort(userSignal?.reason);
  userSignal?.addEventListener('abort', onAbort, { once: true });
  const maxDurationMs = options.maxDurationMs ?? Number.POSITIVE_INFINITY;
  const deadline =
    maxDurationMs <= MAX_TIMER_MS
      ? setTimeout(() => {
          run.overtime = true;
          controller.abort();
        }, maxDurationMs)
      : undefined;
  try {
    await attempts(model, options, asm, apiKey, run, build, consume, readError);
  } finally {
    clearTimeout(deadline);
    userSignal?.removeEventListener('abort', onAbort);
  }
}

interface RunState {
  readonly signal: AbortSignal;
  /** Set when `maxDurationMs` ran out (and aborted `signal`). */
  overtime: boolean;
}

async function attempts(
  model: Model,
  options: StreamOptions,
  asm: MessageAssembler,
  apiKey: string | undefined,
  run: RunState,
  build: (apiKey: string | undefined) => ProviderRequest | Promise<ProviderRequest>,
  consume: ResponseConsumer,
  readError: HttpErrorReader | undefined,
): Promise<void> {
  const failOvertime = (): void =>
    asm.fail(
      'error',
      `Timed out: the stream took longer than maxDurationMs (${options.maxDurationMs} ms)${asm.hasEmitted ? '; the reply is incomplete' : ''}`,
      'timeout',
    );
  let request: ProviderRequest;
  try {
    request = await build(apiKey);
    if (request.secrets) asm.addSecrets(request.secrets);
  } catch (error) {
    const kind = error instanceof ProviderError ? error.kind : 'invalid_request';
    asm.fail('error', `Could not build the request: ${describe(error)}`, kind);
    return;
  }
  const body = JSON.stringify(options.extraBody ? { ...(request.body as object), ...options.extraBody } : request.body);
  const headers = { ...model.headers, ...request.headers, ...options.headers };
  const doFetch = options.fetch ?? ((input: string, init: RequestInit) => fetch(input, init));
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxRetries = options.maxRetries ?? DEFAULT_MAX_RETRIES;

  const sign = request.sign;
  for (let attempt = 0; ; attempt++) {
    const controller = new AbortController();
    const onAbort = () => controller.abort(run.signal.reason);
    run.signal.addEventListener('abort', onAbort, { once: true });
    const watchdog = new Watchdog(timeoutMs, () => controller.abort());
    let responded = false;
    try {
      const response = await fetchSameOrigin(
        doFetch,
        request.url,
        // Signed again for each hop: the signature covers the URL.
        async (url) => ({
          method: 'POST',
          headers: sign ? { ...headers, ...(await sign({ url, headers, body })) } : headers,
          body,
          signal: controller.signal,
        }),
        model.provider,
      );
      watchdog.touch();
      responded = true;
      if (!response.ok) throw await httpError(response, asm, readError);
      if (!response.body) throw new ProviderError('The provider sent an empty response body', 'server');
      await consume(response, watchdog.touch);
      if (!asm.isEnded) throw new ProviderError('The stream ended before the reply was complete', 'network');
      return;
    } catch (error) {
      if (asm.isEnded) return;
      if (run.overtime) return failOvertime();
      if (run.signal.aborted) {
        asm.fail('aborted', 'Request was aborted');
        return;
      }
      // Refusals of qcore's own, whole as they are: a retry would meet the same answer.
      if (error instanceof RedirectRefusedError || error instanceof StreamLimitError) {
        asm.fail('error', error.message, 'invalid_output');
        return;
      }
      if (watchdog.fired) {
        asm.fail(
          'error',
          `Timed out: no data from ${model.provider} for ${timeoutMs} ms (timeoutMs)${asm.hasEmitted ? '; the reply is incomplete' : ''}`,
          'timeout',
        );
        return;
      }
      // Anything but a ProviderError came from fetch or the body: the network failed.
      const known = error instanceof ProviderError ? error : undefined;
      const retryable = known ? known.retryable : true;
      const delay = retryDelay(error, attempt);
      if (!asm.hasEmitted && retryable && attempt < maxRetries && delay <= MAX_DELAY_MS) {
        asm.reset();
        if (await sleep(delay, run.signal)) continue;
        if (run.overtime) return failOvertime();
        asm.fail('aborted', 'Request was aborted');
        return;
      }
      const tries = retryable && attempt > 0 ? ` (after ${attempt + 1} attempts)` : '';
      let message = describe(error);
      if (!known) {
        // Node's fetch says only "fetch failed"; why (ECONNREFUSED, ENOTFOUND, bad port) is in its cause.
        const cause = (error as { cause?: { code?: unknown; message?: unknown } } | undefined)?.cause;
        const why = cause?.code ?? cause?.message;
        if (typeof why === 'string') message += ` (${why})`;
        message = responded
          ? `The connection to ${model.provider} was lost mid-stream: ${message}`
          : `Could not reach ${model.provider} at ${originOf(request.url)}: ${message}`;
      }
      const info: ErrorInfo = { errorKind: known ? known.kind : 'network' };
      if (known?.status) info.errorStatus = known.status;
      if (known?.retryAfterMs !== undefined) info.retryAfterMs = known.retryAfterMs;
      asm.fail('error', `${message}${tries}`, info);
      return;
    } finally {
      watchdog.stop();
      run.signal.removeEventListener('abort', onAbort);
    }
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

/**
 * Fires when no data arrived for `timeoutMs`. It re-arms lazily, so a
 * chunk costs one `Date.now()` and no timer churn.
 */
class Watchdog {
  fired = false;
  private deadline: number;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly timeoutMs: number,
    private readonly onFire: () => void,
  ) {
    this.deadline = Date.now() + timeoutMs;
    this.arm(Math.min(timeoutMs, MAX_TIMER_MS));
  }

  touch = (): void => {
    this.deadline = Date.now() + this.timeoutMs;
  };

  stop(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(ms: number): void {
    this.timer = setTimeout(() => {
      const left = this.deadline - Date.now();
      if (left > 0) return this.arm(Math.min(left, MAX_TIMER_MS));
      this.fired = true;
      this.timer = undefined;
      this.onFire();
    }, ms);
  }
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
  const record = json as Record<string, unknown>;
  const error = record.error;
  if (typeof error === 'string') return error;
  if (typeof error === 'object' && error !== null) {
    const inner = error as Record<string, unknown>;
    const message = typeof inner.message === 'string' ? inner.message : undefined;
    const type = typeof inner.type === 'string' ? inner.type : undefined;
    if (message) return type ? `${type}: ${message}` : message;
  }
  if (typeof record.message === 'string') return record.message;
  if (typeof record.Message === 'string') return record.Message;
  return undefined;
}

function retryAfter(headers: Headers): number | undefined {
  const ms = headers.get('retry-after-ms');
  if (ms !== null && Number.isFinite(Number(ms))) return Math.max(0, Number(ms));
  const value = headers.get('retry-after');
  if (value === null) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isFinite(date) ? Math.max(0, date - Date.now()) : undefined;
}

function retryDelay(error: unknown, attempt: number): number {
  if (error instanceof ProviderError && error.retryAfterMs !== undefined) return error.retryAfterMs;
  const base = BASE_DELAY_MS * 2 ** attempt;
  return base + Math.random() * base * 0.25;
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(false);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
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
