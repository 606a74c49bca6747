import { MessageAssembler } from './assembler.js';
import { apiKeyEnvNames, getEnvApiKey } from './env.js';
import { AssistantMessageEventStream } from './event-stream.js';
import type { Context, Model, StreamFunction, StreamOptions } from './types.js';

/** A failure worth telling apart: whether a retry may help, and how long to wait. */
export class ProviderError extends Error {
  constructor(
    message: string,
    readonly retryable = false,
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'ProviderError';
  }
}

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

/**
 * Runs one streamed request with the behaviour every protocol shares: key
 * lookup, retries with backoff before the first event, a per-chunk timeout,
 * abort, and errors delivered as the stream's last event. Never throws.
 */
export async function runProviderStream(
  model: Model,
  options: StreamOptions,
  asm: MessageAssembler,
  build: (apiKey: string | undefined) => ProviderRequest | Promise<ProviderRequest>,
  consume: ResponseConsumer,
): Promise<void> {
  const apiKey = options.apiKey ?? getEnvApiKey(model.provider);
  const envNames = apiKeyEnvNames(model.provider);
  if (!apiKey && envNames.length > 0) {
    asm.fail(
      'error',
      `No API key for provider "${model.provider}": pass options.apiKey or set ${envNames.join(' or ')}.`,
    );
    return;
  }
  if (apiKey) asm.addSecrets([apiKey]);
  const userSignal = options.signal;
  if (userSignal?.aborted) {
    asm.fail('aborted', 'Request was aborted');
    return;
  }

  let request: ProviderRequest;
  try {
    request = await build(apiKey);
    if (request.secrets) asm.addSecrets(request.secrets);
  } catch (error) {
    asm.fail('error', `Could not build the request: ${describe(error)}`);
    return;
  }
  const body = JSON.stringify(options.extraBody ? { ...(request.body as object), ...options.extraBody } : request.body);
  const headers = { ...model.headers, ...request.headers, ...options.headers };
  const doFetch = options.fetch ?? ((input: string, init: RequestInit) => fetch(input, init));
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxRetries = options.maxRetries ?? DEFAULT_MAX_RETRIES;

  for (let attempt = 0; ; attempt++) {
    const controller = new AbortController();
    const onAbort = () => controller.abort(userSignal?.reason);
    userSignal?.addEventListener('abort', onAbort, { once: true });
    const watchdog = new Watchdog(timeoutMs, () => controller.abort());
    let responded = false;
    try {
      const signed = request.sign
        ? { ...headers, ...(await request.sign({ url: request.url, headers, body })) }
        : headers;
      const response = await doFetch(request.url, {
        method: 'POST',
        headers: signed,
        body,
        signal: controller.signal,
      });
      watchdog.touch();
      responded = true;
      if (!response.ok) throw await httpError(response);
      if (!response.body) throw new ProviderError('The provider sent an empty response body', true);
      await consume(response, watchdog.touch);
      if (!asm.isEnded) throw new ProviderError('The stream ended before the reply was complete', true);
      return;
    } catch (error) {
      if (asm.isEnded) return;
      if (userSignal?.aborted) {
        asm.fail('aborted', 'Request was aborted');
        return;
      }
      if (watchdog.fired) {
        asm.fail(
          'error',
          `Timed out: no data from ${model.provider} for ${timeoutMs} ms (timeoutMs)${asm.hasEmitted ? '; the reply is incomplete' : ''}`,
        );
        return;
      }
      const retryable = error instanceof ProviderError ? error.retryable : isNetworkError(error);
      const delay = retryDelay(error, attempt);
      if (!asm.hasEmitted && retryable && attempt < maxRetries && delay <= MAX_DELAY_MS) {
        asm.reset();
        if (await sleep(delay, userSignal)) continue;
        asm.fail('aborted', 'Request was aborted');
        return;
      }
      const attempts = retryable && attempt > 0 ? ` (after ${attempt + 1} attempts)` : '';
      let message = describe(error);
      if (!(error instanceof ProviderError)) {
        message = responded
          ? `The connection to ${model.provider} was lost mid-stream: ${message}`
          : `Could not reach ${model.provider} at ${originOf(request.url)}: ${message}`;
      }
      asm.fail('error', `${message}${attempts}`);
      return;
    } finally {
      watchdog.stop();
      userSignal?.removeEventListener('abort', onAbort);
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
    this.arm(timeoutMs);
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
      if (left > 0) return this.arm(left);
      this.fired = true;
      this.timer = undefined;
      this.onFire();
    }, ms);
  }
}

function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

async function httpError(response: Response): Promise<ProviderError> {
  let text = '';
  try {
    text = await response.text();
  } catch {
    // The body is only for the message; the status says enough.
  }
  const detail = providerMessage(text);
  // AWS names the error in a header (`ValidationException:http://…`), not in the body.
  const awsType = response.headers.get('x-amzn-errortype')?.split(':')[0];
  const described = awsType && detail ? `${awsType}: ${detail}` : awsType || detail;
  const statusText = response.statusText ? ` ${response.statusText}` : '';
  return new ProviderError(
    `HTTP ${response.status}${statusText}${described ? `: ${described}` : ''}`,
    isRetryableStatus(response.status),
    retryAfter(response.headers),
  );
}

/** The provider's own message from an error body, in any of the common shapes. */
export function providerMessage(text: string): string {
  const trimmed = text.trim();
  if (!trimmed) return '';
  try {
    const json = JSON.parse(trimmed) as unknown;
    const found = findMessage(Array.isArray(json) ? json[0] : json);
    if (found) return found;
  } catch {
    // Not JSON: use the text itself.
  }
  return trimmed.length > 1000 ? `${trimmed.slice(0, 1000)}…` : trimmed;
}

function findMessage(json: unknown): string | undefined {
  if (typeof json !== 'object' || json === null) return undefined;
  const record = json as Record<string, unknown>;
  const error = record.error;
  if (typeof error === 'string') return error;
  if (typeof error === 'object' && error !== null) {
    const inner = error as Record<string, unknown>;
    const message = typeof inner.message === 'string' ? inner.message : undefined;
    const type =
      typeof inner.type === 'string' ? inner.type : typeof inner.status === 'string' ? inner.status : undefined;
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

function isNetworkError(error: unknown): boolean {
  // fetch rejects with a TypeError on network failure in every runtime.
  return (
    error instanceof TypeError || (error instanceof Error && /network|ECONN|socket|fetch failed/i.test(error.message))
  );
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

/** Parses one event's JSON, turning a syntax error into a clear provider error. */
export function parseEventJson<T>(data: string): T {
  try {
    return JSON.parse(data) as T;
  } catch {
    const sample = data.length > 200 ? `${data.slice(0, 200)}…` : data;
    throw new ProviderError(`The provider sent malformed JSON in the stream: ${sample}`);
  }
}
