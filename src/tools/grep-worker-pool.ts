/**
 * A `GrepMatcher` over workers that can be killed: the runtime adapters
 * supply how to start one (a Node worker thread, a Web Worker) and this file
 * does the rest. Each search in flight has a worker of its own, so killing
 * one for an abort or an overrun never disturbs another.
 */
import type {
  GrepLineMatch,
  GrepMatcher,
  GrepMatchRequest,
  GrepWorkerReply,
  GrepWorkerRequest,
} from './grep-matcher.js';

/** One worker as the pool drives it. */
export interface GrepWorker {
  post(request: GrepWorkerRequest): void;
  /** Stops it at once, even mid-match. */
  terminate(): void;
  /** Whether a pending answer should keep the process alive (Node's ref/unref). */
  keepAlive?(alive: boolean): void;
}

/** What a started worker reports back. */
export interface GrepWorkerEvents {
  reply(reply: GrepWorkerReply): void;
  /** It failed to start or died. */
  fail(error: Error): void;
}

export type StartGrepWorker = (events: GrepWorkerEvents) => GrepWorker;

export interface WorkerGrepMatcherOptions {
  /**
   * Longest one file may take, in milliseconds. Past it the worker is killed
   * and the search fails, so a catastrophic pattern ends even when nobody
   * aborts. Default 5000.
   */
  timeoutMs?: number;
  /** Idle workers kept for the next file. Default 1. */
  maxIdle?: number;
}

type Outcome = { hits: GrepLineMatch[] } | { error: Error };

/** A worker and whichever file it is matching. */
class Slot {
  readonly worker: GrepWorker;
  /** Settles the file in flight; unset between files. */
  settle?: (outcome: Outcome) => void;

  constructor(start: StartGrepWorker, onFail: (slot: Slot) => void) {
    this.worker = start({
      reply: (reply) => this.settle?.('error' in reply ? { error: new Error(reply.error) } : { hits: reply.hits }),
      fail: (error) => {
        onFail(this);
        this.settle?.({ error });
      },
    });
  }
}

export function createWorkerGrepMatcher(start: StartGrepWorker, options: WorkerGrepMatcherOptions = {}): GrepMatcher {
  const timeoutMs = options.timeoutMs ?? 5000;
  const maxIdle = options.maxIdle ?? 1;
  const idle: Slot[] = [];
  // A worker that failed is not reused, whatever state it is in.
  const forget = (slot: Slot): void => {
    const at = idle.indexOf(slot);
    if (at >= 0) idle.splice(at, 1);
  };

  return {
    match({ pattern, text, limit, signal }: GrepMatchRequest): Promise<GrepLineMatch[]> {
      if (signal?.aborted) return Promise.reject(signal.reason);
      let slot: Slot;
      try {
        slot = idle.pop() ?? new Slot(start, forget);
      } catch (error) {
        return Promise.reject(error);
      }
      return new Promise<GrepLineMatch[]>((resolve, reject) => {
        let timer: ReturnType<typeof setTimeout> | undefined;
        const done = (kill: boolean): void => {
          slot.settle = undefined;
          if (timer !== undefined) clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          slot.worker.keepAlive?.(false);
          if (!kill && idle.length < maxIdle) idle.push(slot);
          else slot.worker.terminate();
        };
        const onAbort = (): void => {
          done(true);
          reject(signal?.reason);
        };
        slot.settle = (outcome) => {
          if ('error' in outcome) {
            done(true);
            reject(outcome.error);
          } else {
            done(false);
            resolve(outcome.hits);
          }
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        if (Number.isFinite(timeoutMs)) {
          timer = setTimeout(
            () => {
              done(true);
              reject(
                new Error(
                  `The pattern ran for more than ${timeoutMs / 1000} s on one file and was stopped; it probably backtracks catastrophically (a nested quantifier such as "(a+)+", or alternatives that overlap). Simplify it, or set literal to true.`,
                ),
              );
            },
            // Timers past 2^31-1 ms fire at once.
            Math.min(timeoutMs, 2 ** 31 - 1),
          );
        }
        slot.worker.keepAlive?.(true);
        try {
          slot.worker.post({ text, source: pattern.source, flags: pattern.flags, limit });
        } catch (error) {
          done(true);
          reject(error);
        }
      });
    },
  };
}
