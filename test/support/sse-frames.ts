/**
 * The tests' reader of a session's event stream (`text/event-stream`, as the
 * durable session routes send it): each frame's `id:`, `event:` and JSON
 * `data:`, collected in the background as they arrive, with a wait for a
 * frame that matches.
 *
 * Web standards only (ReadableStream, TextDecoder, performance), no node:*
 * imports: test/durable/session-client.ts uses it inside workerd, and
 * test/node/durable-support.ts (so test/node/durable-eviction.test.ts and
 * bench/durable-load.ts) and test/node/worker-example.test.ts from Node.
 */

export interface SseFrame {
  id: string | undefined;
  event: string;
  data: Record<string, unknown>;
  /** `performance.now()` when the chunk that completed the frame was read. */
  at: number;
}

/** An open event stream, read in the background into `frames`. */
export class SseFrameReader {
  readonly frames: SseFrame[] = [];
  /** Set when the stream ended (closed by the server, cut, or closed here). */
  ended = false;
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  readonly #done: Promise<void>;
  #waiters: (() => void)[] = [];

  constructor(body: ReadableStream<Uint8Array>) {
    this.#reader = body.getReader();
    this.#done = this.#read();
  }

  async #read(): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = '';
    for (;;) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await this.#reader.read();
      } catch {
        break;
      }
      if (chunk.done) break;
      const at = performance.now();
      buffer += decoder.decode(chunk.value, { stream: true });
      // A frame ends at a blank line; what follows the last one waits for the next chunk.
      for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        let id: string | undefined;
        let event = 'message';
        let data: string | undefined;
        for (const line of block.split('\n')) {
          if (line.startsWith('id: ')) id = line.slice(4);
          else if (line.startsWith('event: ')) event = line.slice(7);
          else if (line.startsWith('data: ')) data = line.slice(6);
        }
        if (data !== undefined) this.frames.push({ id, event, data: JSON.parse(data) as Record<string, unknown>, at });
      }
      this.#wake();
    }
    this.ended = true;
    this.#wake();
  }

  #wake(): void {
    for (const wake of this.#waiters.splice(0)) wake();
  }

  /** Waits until a frame at or after index `from` matches; fails after `timeoutMs`, or once the stream has ended. */
  async waitFor(match: (frame: SseFrame) => boolean, timeoutMs = 10_000, from = 0): Promise<SseFrame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.frames.slice(from).find(match);
      if (found) return found;
      if (Date.now() > deadline) {
        throw new Error(`no matching frame in ${timeoutMs} ms; got ${this.frames.map((f) => f.event).join(', ')}`);
      }
      if (this.ended) throw new Error(`the stream ended; got ${this.frames.map((f) => f.event).join(', ')}`);
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve);
        setTimeout(resolve, 100);
      });
    }
  }

  /** Frames of a type, in order. */
  of(event: string): SseFrame[] {
    return this.frames.filter((frame) => frame.event === event);
  }

  /** The id of the last frame that had one: what a reconnecting client sends as `Last-Event-ID`. */
  get lastEventId(): string | undefined {
    return this.frames.findLast((frame) => frame.id !== undefined)?.id;
  }

  /** Stops reading (cancelling the body ends the request) and waits for the reader to finish. */
  async close(): Promise<void> {
    await this.#reader.cancel().catch(() => {});
    await this.#done;
  }
}
