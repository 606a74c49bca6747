import { createParser, type EventSourceMessage, type ParseError } from 'eventsource-parser';

/**
 * The longest line, and the most data of one event, kept while reading:
 * 16 MiB (in UTF-16 code units). Without a bound an endless line grows
 * until the process runs out of memory.
 */
export const MAX_SSE_LINE_CHARS = 16 * 1024 * 1024;

/** The stream broke a bound qcore keeps on what it buffers; reading stopped. Not worth a retry. */
export class StreamLimitError extends Error {
  override name = 'StreamLimitError';
}

/**
 * Turns a response body into server-sent events, in one read loop with no
 * stream transforms. `onEvent` runs synchronously for each event; if it
 * throws, reading stops and the error propagates. `signal` stops reading
 * even when the body's producer ignores it (a handler called in-process).
 * A line (or one event's data) past `MAX_SSE_LINE_CHARS` stops reading with
 * a `StreamLimitError`.
 */
export async function readServerSentEvents(
  body: ReadableStream<Uint8Array>,
  onEvent: (event: EventSourceMessage) => void,
  onChunk?: () => void,
  signal?: AbortSignal,
): Promise<void> {
  const reader = body.getReader();
  const onAbort = (): void => void reader.cancel().catch(() => {});
  signal?.addEventListener('abort', onAbort, { once: true });
  const decoder = new TextDecoder();
  let overflow = false;
  // The parser already counts its incomplete line as it buffers it, so the bound costs no scan of its own.
  const parser = createParser({
    onEvent,
    onError: (error: ParseError) => {
      if (error.type === 'max-buffer-size-exceeded') overflow = true;
    },
    maxBufferSize: MAX_SSE_LINE_CHARS,
  });
  const feed = (text: string): void => {
    parser.feed(text);
    if (overflow) {
      throw new StreamLimitError('An event stream line was longer than 16 MiB; reading stopped');
    }
  };
  let finished = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      onChunk?.();
      feed(decoder.decode(value, { stream: true }));
    }
    finished = true;
    const rest = decoder.decode();
    if (rest) feed(rest);
    // Some servers omit the blank line after their last event; still deliver it.
    feed('\n\n');
  } finally {
    signal?.removeEventListener('abort', onAbort);
    if (!finished) reader.cancel().catch(() => {});
    else reader.releaseLock();
  }
}

export type { EventSourceMessage };
