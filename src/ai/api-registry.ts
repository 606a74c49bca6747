import type { Api, StreamFunction } from './types.js';

/**
 * Stream functions keyed by wire protocol, not by vendor: every
 * OpenAI-compatible provider shares `openai-completions`. Users may register
 * their own protocol, or replace a built-in one.
 */
const registry = new Map<string, StreamFunction>();

export function registerApi(api: Api, streamFunction: StreamFunction): void {
  registry.set(api, streamFunction);
}

export function getApi(api: Api): StreamFunction | undefined {
  return registry.get(api);
}

export function unregisterApi(api: Api): void {
  registry.delete(api);
}
