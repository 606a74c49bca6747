import { MessageAssembler } from './assembler.js';
import { engine } from './engine.js';
import { AssistantMessageEventStream } from './event-stream.js';
import { builtinLoaders } from './providers/index.js';
import { describe } from './request.js';
import type { Api, KnownApi, StreamFunction } from './types.js';

/**
 * Stream functions keyed by wire protocol, not by vendor: every
 * OpenAI-compatible provider shares `openai-completions`. Users may register
 * their own protocol, or replace a built-in one; `unregisterApi` brings the
 * built-in back. A built-in's code loads the first time it streams.
 */
const registered = new Map<string, StreamFunction>();
/**
 * Built-ins, kept apart so a user's registration wins and can be undone: the
 * loaded code, or until then the stream function that loads it.
 */
const builtins = new Map<string, StreamFunction>();

export function registerApi(api: Api, streamFunction: StreamFunction): void {
  registered.set(api, streamFunction);
}

/** The stream function for `api`: a user's, else the built-in one (which may load on its first call). */
export function getApi(api: Api): StreamFunction | undefined {
  return registered.get(api) ?? builtins.get(api) ?? lazyBuiltin(api);
}

export function unregisterApi(api: Api): void {
  registered.delete(api);
}

/** Makes a built-in's loaded code the one `getApi` returns. */
export function provideBuiltinApi(api: Api, streamFunction: StreamFunction): void {
  builtins.set(api, streamFunction);
}

/** A built-in protocol, loaded or to be loaded on first call, whatever a user registered over it. */
export function builtinApi(api: KnownApi): StreamFunction {
  return builtins.get(api) ?? (lazyBuiltin(api) as StreamFunction);
}

function lazyBuiltin(api: Api): StreamFunction | undefined {
  // An own property only: `toString` is no protocol.
  if (!Object.hasOwn(builtinLoaders, api)) return undefined;
  const load = builtinLoaders[api as KnownApi];
  const lazy = lazyStreamFunction(async () => {
    const streamFunction = (await load()).default(engine);
    provideBuiltinApi(api, streamFunction);
    return streamFunction;
  });
  builtins.set(api, lazy);
  return lazy;
}

/**
 * A stream function whose code is loaded on its first call. Streams started
 * while it loads share one import and are piped through; once loaded, calls
 * go straight to it, so the per-event path is unchanged. A failed import
 * ends that stream with an `error` event, and the next call tries again.
 */
export function lazyStreamFunction(load: () => Promise<StreamFunction>): StreamFunction {
  let loaded: StreamFunction | undefined;
  let loading: Promise<StreamFunction> | undefined;
  return (model, context, options) => {
    if (loaded) return loaded(model, context, options);
    const out = new AssistantMessageEventStream();
    loading ??= load().then(
      (streamFunction) => {
        loaded = streamFunction;
        return streamFunction;
      },
      (error: unknown) => {
        loading = undefined;
        throw error;
      },
    );
    loading
      .then(async (streamFunction) => {
        for await (const event of streamFunction(model, context, options)) out.push(event);
      })
      .catch((error: unknown) => {
        new MessageAssembler(model, out).fail(
          'error',
          `Could not load the "${model.api}" protocol: ${describe(error)}`,
        );
      });
    return out;
  };
}
