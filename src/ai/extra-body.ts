/**
 * `Model.extraBody` and `StreamOptions.extraBody` merged into a request
 * body, for every protocol (the shared runner in `request.ts` calls it).
 */
import type { Model, StreamOptions } from './types.js';

/** Top-level fields qcore builds from the context, which a model's `extraBody` may not set. */
export const RESERVED_BODY_KEYS: readonly string[] = [
  'model',
  'messages',
  'input',
  'contents',
  'stream',
  'tools',
  'toolConfig',
];

/**
 * The body with the model's extra fields, then the call's, merged on top.
 * Throws when the model's would replace a field in `RESERVED_BODY_KEYS`.
 */
export function withExtraBody(body: unknown, model: Model, options: StreamOptions): object {
  const extra = model.extraBody;
  for (const key in extra) if (RESERVED_BODY_KEYS.includes(key)) throw new Error(`model.extraBody may not set ${key}`);
  return { ...(body as object), ...extra, ...options.extraBody };
}
