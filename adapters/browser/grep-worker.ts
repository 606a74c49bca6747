/**
 * `grep`'s matcher for browsers: the regex runs in a Web Worker, which is
 * terminated on abort or when one file overruns its budget, so a
 * catastrophic pattern never freezes the page.
 */
import { defaultGrepMatcher, GREP_WORKER_HANDLER, type GrepMatcher } from '../../src/tools/grep-matcher.js';
import {
  createWorkerGrepMatcher,
  type GrepWorkerEvents,
  type WorkerGrepMatcherOptions,
} from '../../src/tools/grep-worker-pool.js';

export type BrowserGrepMatcherOptions = WorkerGrepMatcherOptions;

/** Built from a Blob, so there is no separate worker file for an app's bundler to find. */
const WORKER_SOURCE = `${GREP_WORKER_HANDLER}
self.onmessage = (event) => self.postMessage(handleGrepRequest(event.data));
`;

let workerUrl: string | undefined;

function startWorker(events: GrepWorkerEvents) {
  workerUrl ??= URL.createObjectURL(new Blob([WORKER_SOURCE], { type: 'text/javascript' }));
  const worker = new Worker(workerUrl);
  worker.onmessage = (event) => events.reply(event.data);
  // Also what a Content-Security-Policy without `worker-src blob:` ends in.
  worker.onerror = (event) => {
    event.preventDefault();
    events.fail(
      new Error(
        `The grep Web Worker failed: ${event.message || 'it could not start (is blob: allowed by worker-src?)'}`,
      ),
    );
  };
  return {
    post: (request: unknown) => worker.postMessage(request),
    terminate: () => worker.terminate(),
  };
}

/**
 * A matcher whose searches run in Web Workers that can be killed. Where
 * there is no `Worker` (a service worker, say), the in-place default, which
 * refuses nested quantifiers.
 */
export function createBrowserGrepMatcher(options: BrowserGrepMatcherOptions = {}): GrepMatcher {
  if (typeof Worker !== 'function' || typeof Blob !== 'function') return defaultGrepMatcher;
  return createWorkerGrepMatcher(startWorker, options);
}

let shared: GrepMatcher | undefined;

/** The one matcher every `LightningFsWorkspace` hands `grep` by default, so their searches share its idle worker. */
export function sharedBrowserGrepMatcher(): GrepMatcher {
  shared ??= createBrowserGrepMatcher();
  return shared;
}
