/**
 * `grep`'s matcher for Node: the regex runs in a worker thread, which is
 * terminated on abort or when one file overruns its budget, so a
 * catastrophic pattern never holds the event loop.
 */
import { Worker } from 'node:worker_threads';
import { GREP_WORKER_HANDLER, type GrepMatcher } from '../../src/tools/grep-matcher.js';
import {
  createWorkerGrepMatcher,
  type GrepWorkerEvents,
  type WorkerGrepMatcherOptions,
} from '../../src/tools/grep-worker-pool.js';

export type NodeGrepMatcherOptions = WorkerGrepMatcherOptions;

/**
 * Evaluated, not loaded from a file, so it works the same from the sources
 * and from `dist/` with nothing extra to ship. Dynamic import works whether
 * the eval runs as CommonJS or, under `--input-type=module`, as ESM; the port
 * holds messages until the listener is attached.
 */
const WORKER_SOURCE = `${GREP_WORKER_HANDLER}
import('node:worker_threads').then(({ parentPort }) => {
  parentPort.on('message', (request) => parentPort.postMessage(handleGrepRequest(request)));
});
`;

function startWorker(events: GrepWorkerEvents) {
  // No inherited flags: loaders such as `--import tsx` would only slow its start.
  const worker = new Worker(WORKER_SOURCE, { eval: true, execArgv: [] });
  // Idle, it must not keep the process alive; the pool refs it while a file is in flight.
  worker.unref();
  let terminated = false;
  worker.on('message', events.reply);
  worker.on('error', (error) => events.fail(error));
  worker.on('exit', (code) => {
    if (!terminated) events.fail(new Error(`The grep worker exited unexpectedly (code ${code})`));
  });
  return {
    post: (request: Parameters<Worker['postMessage']>[0]) => worker.postMessage(request),
    terminate() {
      terminated = true;
      void worker.terminate();
    },
    keepAlive(alive: boolean) {
      if (alive) worker.ref();
      else worker.unref();
    },
  };
}

/** A matcher whose searches run in worker threads that can be killed. */
export function createNodeGrepMatcher(options: NodeGrepMatcherOptions = {}): GrepMatcher {
  return createWorkerGrepMatcher(startWorker, options);
}

let shared: GrepMatcher | undefined;

/** The one matcher every `NodeWorkspace` hands `grep` by default, so their searches share its idle worker. */
export function sharedNodeGrepMatcher(): GrepMatcher {
  shared ??= createNodeGrepMatcher();
  return shared;
}
