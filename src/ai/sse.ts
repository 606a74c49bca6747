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

/** One server-sent event: its `data` lines joined by `\n`, and its `event` and `id` fields if it had them. */
export interface EventSourceMessage {
  id?: string | undefined;
  event?: string | undefined;
  data: string;
}

/**
 * Turns a response body into server-sent events, in one read loop with no
 * stream transforms. `onEvent` runs synchronously for each event; if it
 * throws, reading stops and the error propagates. `signal` stops reading
 * even when the body's producer ignores it (a handler called in-process).
 * A line (or one event's data) past `MAX_SSE_LINE_CHARS` stops reading with
 * a `StreamLimitError`.
 *
 * Parsed as the WHATWG EventSource spec reads a stream: lines end in CRLF, LF
 * or CR; `:` starts a comment; unknown fields are ignored; `retry` (digits
 * only) goes to `onRetry`, for a caller that reconnects; an event is
 * dispatched at a blank line if it has data; `id` holds for that event only
 * (a `\0` in it is ignored), as in eventsource-parser.
 */
export async function readServerSentEvents(
  body: ReadableStream<Uint8Array>,
  onEvent: (event: EventSourceMessage) => void,
  onChunk?: () => void,
  signal?: AbortSignal,
  onRetry?: (ms: number) => void,
): Promise<void> {
  const reader = body.getReader();
  const onAbort = (): void => void reader.cancel().catch(() => {});
  signal?.addEventListener('abort', onAbort, { once: true });
  const decoder = new TextDecoder();
  const feed = createFeed(onEvent, onRetry);
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

/** The line parser: `feed` takes decoded text in any pieces and calls `onEvent` for each complete event. */
function createFeed(
  onEvent: (event: EventSourceMessage) => void,
  onRetry?: (ms: number) => void,
): (chunk: string) => void {
  // The incomplete last line, in pieces: joined only once a line break arrives, so a long line costs no copies.
  const pending: string[] = [];
  let pendingLength = 0;
  let data = '';
  let dataLines = 0;
  let event: string | undefined;
  let id: string | undefined;
  /** A line that is neither blank nor data: `field: value`, `field` alone, or a `:` comment. */
  const field = (content: string): void => {
    let colon = content.indexOf(':');
    if (colon === 0) return;
    if (colon < 0) colon = content.length;
    const value = content.slice(colon + (content.charCodeAt(colon + 1) === 32 ? 2 : 1));
    switch (content.slice(0, colon)) {
      case 'data':
        data = dataLines++ === 0 ? value : `${data}\n${value}`;
        break;
      case 'event':
        event = value || undefined;
        break;
      case 'id':
        if (!value.includes('\0')) id = value;
        break;
      case 'retry':
        if (/^\d+$/.test(value)) onRetry?.(Number(value));
    }
  };
  /** Reads every complete line of `text`, whose lines end in LF; returns the rest. */
  const lfLines = (text: string): string => {
    let start = 0;
    for (let lf = text.indexOf('\n'); lf !== -1; lf = text.indexOf('\n', start)) {
      if (lf === start) {
        if (dataLines > 0) onEvent({ id, event, data });
        id = event = undefined;
        data = '';
        dataLines = 0;
      } else if (text.startsWith('data:', start)) {
        // Most lines are data: read without slicing the field name.
        const value = text.slice(start + (text.charCodeAt(start + 5) === 32 ? 6 : 5), lf);
        if (dataLines === 0 && text.charCodeAt(lf + 1) === 10) {
          // An event of one data line: dispatched without buffering it.
          onEvent({ id, event, data: value });
          id = event = undefined;
          lf++;
        } else data = dataLines++ === 0 ? value : `${data}\n${value}`;
      } else if (text.startsWith('event:', start)) {
        event = text.slice(start + (text.charCodeAt(start + 6) === 32 ? 7 : 6), lf) || undefined;
      } else field(text.slice(start, lf));
      start = lf + 1;
    }
    return text.slice(start);
  };
  /**
   * Reads every complete line of `text`; returns the rest. CRLF and CR become
   * LF first, but a CR at the very end waits: an LF may follow.
   */
  const lines = (text: string): string => {
    if (!text.includes('\r')) return lfLines(text);
    const held = text.endsWith('\r');
    const rest = lfLines((held ? text.slice(0, -1) : text).replace(/\r\n?/g, '\n'));
    return held ? `${rest}\r` : rest;
  };
  return (chunk: string): void => {
    if (pending.length === 0 || chunk.includes('\n') || chunk.includes('\r')) {
      pending.push(chunk);
      const rest = lines(pending.length === 1 ? chunk : pending.join(''));
      pending.length = 0;
      pendingLength = rest.length;
      if (rest) pending.push(rest);
    } else {
      pending.push(chunk);
      pendingLength += chunk.length;
    }
    if (pendingLength + data.length > MAX_SSE_LINE_CHARS) {
      throw new StreamLimitError('An event stream line was longer than 16 MiB; reading stopped');
    }
  };
}
