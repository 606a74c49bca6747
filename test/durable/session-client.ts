/**
 * A small raw client of the durable session routes for the tests: requests
 * as a given user, and an event-stream reader that keeps ids, so tests can
 * check what was sent, in which order, and resume from any point.
 */
import { exports } from 'cloudflare:workers';

export const BASE = 'https://agents.test';

export interface Frame {
  id: string | undefined;
  event: string;
  data: Record<string, unknown>;
}

export function call(
  user: string | undefined,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  return exports.default.fetch(
    new Request(`${BASE}${path}`, {
      method,
      headers: {
        ...(user ? { 'x-user': user } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    }),
  );
}

/** An open event stream, read in the background into `frames`. */
export class EventReader {
  readonly frames: Frame[] = [];
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  readonly #done: Promise<void>;
  #waiters: (() => void)[] = [];

  constructor(body: ReadableStream<Uint8Array>) {
    this.#reader = body.getReader();
    this.#done = this.#read();
  }

  static async open(user: string, sessionId: string, lastEventId?: string): Promise<EventReader> {
    const response = await call(
      user,
      'GET',
      `/sessions/${sessionId}/events`,
      undefined,
      lastEventId ? { 'last-event-id': lastEventId } : {},
    );
    if (response.status !== 200 || !response.body)
      throw new Error(`events answered ${response.status}: ${await response.text()}`);
    return new EventReader(response.body);
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
      buffer += decoder.decode(chunk.value, { stream: true });
      let end = buffer.indexOf('\n\n');
      while (end !== -1) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        end = buffer.indexOf('\n\n');
        let id: string | undefined;
        let event = 'message';
        let data: string | undefined;
        for (const line of block.split('\n')) {
          if (line.startsWith('id: ')) id = line.slice(4);
          else if (line.startsWith('event: ')) event = line.slice(7);
          else if (line.startsWith('data: ')) data = line.slice(6);
        }
        if (data !== undefined) this.frames.push({ id, event, data: JSON.parse(data) as Record<string, unknown> });
      }
      for (const wake of this.#waiters.splice(0)) wake();
    }
    for (const wake of this.#waiters.splice(0)) wake();
  }

  /** Waits until a frame matches, or fails after `timeoutMs`. */
  async waitFor(match: (frame: Frame) => boolean, timeoutMs = 10_000): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.frames.find(match);
      if (found) return found;
      if (Date.now() > deadline)
        throw new Error(`no matching frame; got ${this.frames.map((f) => f.event).join(', ')}`);
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve);
        setTimeout(resolve, 100);
      });
    }
  }

  /** Frames of a type, in order. */
  of(event: string): Frame[] {
    return this.frames.filter((frame) => frame.event === event);
  }

  async close(): Promise<void> {
    await this.#reader.cancel().catch(() => {});
    await this.#done;
  }
}

/** The mock session's id: the durable session is named after it, so the object's setup finds its script. */
export function mockId(baseUrl: string): string {
  return baseUrl.slice(baseUrl.lastIndexOf('/') + 1);
}
