import type { AssistantMessage, AssistantMessageEvent, AssistantMessageStream } from './types.js';

/**
 * A single-consumer push queue that is an async iterable. The producer pushes
 * synchronously from its read loop; a waiting consumer is resumed directly,
 * otherwise events are buffered. The stream ends after `done` or `error`.
 */
export class EventStream<TEvent, TResult> implements AsyncIterable<TEvent> {
  #buffer: TEvent[] = [];
  #head = 0;
  #waiting: ((result: IteratorResult<TEvent>) => void) | undefined;
  #ended = false;
  readonly #final: Promise<TResult>;
  #resolveFinal!: (value: TResult) => void;

  readonly #isTerminal: (event: TEvent) => boolean;
  readonly #resultOf: (event: TEvent) => TResult;

  constructor(isTerminal: (event: TEvent) => boolean, resultOf: (event: TEvent) => TResult) {
    this.#isTerminal = isTerminal;
    this.#resultOf = resultOf;
    this.#final = new Promise((resolve) => {
      this.#resolveFinal = resolve;
    });
  }

  push(event: TEvent): void {
    if (this.#ended) return;
    if (this.#isTerminal(event)) {
      this.#ended = true;
      this.#resolveFinal(this.#resultOf(event));
    }
    const waiting = this.#waiting;
    if (waiting) {
      this.#waiting = undefined;
      waiting({ value: event, done: false });
    } else {
      this.#buffer.push(event);
    }
  }

  result(): Promise<TResult> {
    return this.#final;
  }

  [Symbol.asyncIterator](): AsyncIterator<TEvent> {
    return {
      next: () => {
        if (this.#head < this.#buffer.length) {
          const value = this.#buffer[this.#head++] as TEvent;
          // Drop consumed events in batches so a long reply does not hold them all.
          if (this.#head > 1024 && this.#head * 2 > this.#buffer.length) {
            this.#buffer = this.#buffer.slice(this.#head);
            this.#head = 0;
          }
          return Promise.resolve({ value, done: false });
        }
        if (this.#ended) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => {
          this.#waiting = resolve;
        });
      },
      return: () => {
        this.#buffer = [];
        this.#head = 0;
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}

/** The stream every provider returns. */
export class AssistantMessageEventStream
  extends EventStream<AssistantMessageEvent, AssistantMessage>
  implements AssistantMessageStream
{
  constructor() {
    super(
      (event) => event.type === 'done' || event.type === 'error',
      // Called only for a terminal event: `done` or `error`.
      (event) => (event.type === 'done' ? event.message : (event as { error: AssistantMessage }).error),
    );
  }
}
