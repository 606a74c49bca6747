import { createParser, type EventSourceMessage } from 'eventsource-parser';

/**
 * Turns a response body into server-sent events, in one read loop with no
 * stream transforms. `onEvent` runs synchronously for each event; if it
 * throws, reading stops and the error propagates. `signal` stops reading
 * even when the body's producer ignores it (a handler called in-process).
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
  const parser = createParser({ onEvent });
  let finished = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      onChunk?.();
      parser.feed(decoder.decode(value, { stream: true }));
    }
    finished = true;
    const rest = decoder.decode();
    if (rest) parser.feed(rest);
    // Some servers omit the blank line after their last event; still deliver it.
    parser.feed('\n\n');
  } finally {
    signal?.removeEventListener('abort', onAbort);
    if (!finished) reader.cancel().catch(() => {});
    else reader.releaseLock();
  }
}

export type { EventSourceMessage };
