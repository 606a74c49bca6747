/**
 * A durable session's event stream, on the server: every agent event gets an
 * id (`<epoch>.<seq>.<stored>`, see `session-protocol.ts`), is encoded once,
 * kept in a bounded buffer and sent to every client watching. A client that
 * comes back with an id the buffer still holds gets the frames after it; any
 * other gets a `resync` (the stored messages it lacks) and then the running
 * message from its start. Web standards only: the Durable Object owns one,
 * and any server that keeps a session in one process could.
 */

import { AgentEventEncoder } from '../agent-event-wire.js';
import { type AgentSessionResync, formatSessionEventId, parseSessionEventId } from '../session-protocol.js';
import type { AgentEvent } from '../types.js';

export interface SessionEventLogOptions {
  /** This start of the object; bumped (and stored) by its owner at every start. */
  epoch: number;
  /** Messages already stored: what the first frame's id says. */
  stored: number;
  /** Bytes of frames kept for reconnects; the oldest go first. Default 4 MiB. */
  maxBufferBytes?: number;
  /** Bytes queued for one slow client before it is dropped (it reconnects and catches up). Default 8 MiB. */
  maxQueuedBytes?: number;
  /** The `retry:` a stream opens with, in ms. Default 1 000. */
  retryMs?: number;
  /** How often an idle stream gets a `: keep-alive` comment, in ms. Default 15 000; 0 for never. */
  heartbeatMs?: number;
}

interface Frame {
  seq: number;
  bytes: Uint8Array;
}

interface Watcher {
  controller: ReadableStreamDefaultController<Uint8Array>;
}

const encoder = new TextEncoder();

export const SESSION_EVENT_STREAM_HEADERS: Record<string, string> = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache, no-transform',
  'x-content-type-options': 'nosniff',
};

export class SessionEventLog {
  readonly epoch: number;
  /** Messages stored so far; the owner counts each `message_end` here before pushing it. */
  stored: number;
  readonly #encoder = new AgentEventEncoder();
  readonly #frames: Frame[] = [];
  /** Index into `#frames` of the first frame still kept; frames before it are dropped lazily. */
  #head = 0;
  #bufferedBytes = 0;
  #seq = 0;
  /** The seq of the running assistant message's `message_start`, while one streams. */
  #messageStart: number | undefined;
  readonly #watchers = new Set<Watcher>();
  readonly #maxBufferBytes: number;
  readonly #maxQueuedBytes: number;
  readonly #retryMs: number;
  readonly #heartbeatMs: number;
  #heartbeat: ReturnType<typeof setInterval> | undefined;

  constructor(options: SessionEventLogOptions) {
    this.epoch = options.epoch;
    this.stored = options.stored;
    this.#maxBufferBytes = options.maxBufferBytes ?? 4 * 1024 * 1024;
    this.#maxQueuedBytes = options.maxQueuedBytes ?? 8 * 1024 * 1024;
    this.#retryMs = options.retryMs ?? 1_000;
    this.#heartbeatMs = options.heartbeatMs ?? 15_000;
  }

  /** The id of the last frame, which a client that has seen everything would send back. */
  get lastEventId(): string {
    return formatSessionEventId({ epoch: this.epoch, seq: this.#seq, stored: this.stored });
  }

  /** Clients watching now. */
  get watchers(): number {
    return this.#watchers.size;
  }

  /** Encodes `event`, keeps it and sends it to every watcher. Call it as the agent emits, in order. */
  push(event: AgentEvent): void {
    const seq = ++this.#seq;
    const id = formatSessionEventId({ epoch: this.epoch, seq, stored: this.stored });
    const bytes = encoder.encode(`id: ${id}\n${this.#encoder.encode(event)}`);
    if (event.type === 'message_start' && event.message.role === 'assistant') this.#messageStart = seq;
    else if (event.type === 'message_end' || event.type === 'agent_end') this.#messageStart = undefined;
    this.#frames.push({ seq, bytes });
    this.#bufferedBytes += bytes.length;
    this.#trim();
    for (const watcher of this.#watchers) this.#send(watcher, bytes);
  }

  /**
   * The event stream for a client that last saw `lastEventId` (null for none).
   * `resync(fromIndex)` builds the resync frame's content when the client
   * needs one: the stored messages from `fromIndex` on, and the run's state.
   */
  connect(
    lastEventId: string | null,
    resync: (fromIndex: number) => Omit<AgentSessionResync, 'type' | 'fromIndex'>,
    signal?: AbortSignal,
  ): Response {
    const id = parseSessionEventId(lastEventId);
    const oldest = this.#frames[this.#head]?.seq ?? this.#seq + 1;
    const replayable = id !== undefined && id.epoch === this.epoch && id.seq >= oldest - 1 && id.seq <= this.#seq;
    const opening: Uint8Array[] = [encoder.encode(`retry: ${this.#retryMs}\n\n`)];
    if (replayable) {
      opening.push(...this.#framesAfter(id.seq));
    } else {
      // The stored messages the client lacks; then the running message from its start, if it is still kept.
      const fromIndex = Math.min(id?.stored ?? 0, this.stored);
      const from =
        this.#messageStart !== undefined && this.#messageStart >= oldest ? this.#messageStart : this.#seq + 1;
      const frameId = formatSessionEventId({ epoch: this.epoch, seq: from - 1, stored: this.stored });
      const payload: AgentSessionResync = { type: 'resync', fromIndex, ...resync(fromIndex) };
      opening.push(encoder.encode(`id: ${frameId}\nevent: resync\ndata: ${JSON.stringify(payload)}\n\n`));
      opening.push(...this.#framesAfter(from - 1));
    }
    let watcher!: Watcher;
    const body = new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          watcher = { controller };
          for (const bytes of opening) controller.enqueue(bytes);
          this.#watchers.add(watcher);
          this.#startHeartbeat();
        },
        cancel: () => this.#drop(watcher),
      },
      new ByteLengthQueuingStrategy({ highWaterMark: 64 * 1024 }),
    );
    signal?.addEventListener('abort', () => this.#drop(watcher, true), { once: true });
    return new Response(body, { status: 200, headers: SESSION_EVENT_STREAM_HEADERS });
  }

  /** Ends every stream (the object is shutting a session down); clients reconnect. */
  closeAll(): void {
    for (const watcher of [...this.#watchers]) this.#drop(watcher, true);
  }

  #framesAfter(seq: number): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (let i = this.#head; i < this.#frames.length; i++) {
      const frame = this.#frames[i] as Frame;
      if (frame.seq > seq) out.push(frame.bytes);
    }
    return out;
  }

  #trim(): void {
    while (this.#bufferedBytes > this.#maxBufferBytes && this.#head < this.#frames.length - 1) {
      this.#bufferedBytes -= (this.#frames[this.#head] as Frame).bytes.length;
      this.#head++;
    }
    // Compacted now and then, so dropping a frame costs O(1) and the array does not grow for ever.
    if (this.#head > 1024 && this.#head * 2 > this.#frames.length) {
      this.#frames.splice(0, this.#head);
      this.#head = 0;
    }
  }

  #send(watcher: Watcher, bytes: Uint8Array): void {
    try {
      watcher.controller.enqueue(bytes);
      // A client that reads slower than the run writes is dropped rather than buffered without end.
      if ((watcher.controller.desiredSize ?? 0) < -this.#maxQueuedBytes) this.#drop(watcher, true);
    } catch {
      this.#drop(watcher);
    }
  }

  #drop(watcher: Watcher, close = false): void {
    if (!this.#watchers.delete(watcher)) return;
    if (close) {
      try {
        watcher.controller.close();
      } catch {
        // Already closed or cancelled.
      }
    }
    if (this.#watchers.size === 0) {
      clearInterval(this.#heartbeat);
      this.#heartbeat = undefined;
    }
  }

  #startHeartbeat(): void {
    if (this.#heartbeat !== undefined || this.#heartbeatMs <= 0) return;
    const comment = encoder.encode(': keep-alive\n\n');
    this.#heartbeat = setInterval(() => {
      for (const watcher of this.#watchers) this.#send(watcher, comment);
    }, this.#heartbeatMs);
  }
}
