/**
 * How the catalog files write an entry: one builder per vendor, one call per
 * model, so that each vendor's shared fields are written once.
 */
import type { KnownApi, Model, ModelCompat } from './types.js';

type Input = Model['input'];

/** A catalog entry, keeping its provider and id as literal types. */
export type Entry<P extends string, Id extends string> = Model & { readonly provider: P; readonly id: Id };

/** Prices in US dollars per million tokens: input, output, cache read, cache write (0 if left out). */
export type Price = readonly [input: number, output: number, cacheRead: number, cacheWrite?: number];

/** What a vendor's models share, and what one model changes: by default a model reasons and reads text and images. */
export interface Traits {
  reasoning?: boolean;
  input?: Input;
  compat?: ModelCompat;
}

export const TEXT: Input = ['text'];

/**
 * One vendor's entry builder: its provider, api and base URL, and the traits
 * its models share. Each entry gets its own `input`, `cost` and `compat`
 * objects, so changing one model changes no other.
 */
export function vendor<const P extends string>(provider: P, api: KnownApi, baseUrl: string, shared?: Traits) {
  return <const Id extends string>(
    id: Id,
    name: string,
    [input, output, cacheRead, cacheWrite = 0]: Price,
    contextWindow: number,
    maxTokens: number,
    own?: Traits,
  ): Entry<P, Id> => {
    const traits = { ...shared, ...own };
    const model: Entry<P, Id> = {
      id,
      name,
      api,
      provider,
      baseUrl,
      reasoning: traits.reasoning ?? true,
      input: [...(traits.input ?? ['text', 'image'])],
      cost: { input, output, cacheRead, cacheWrite },
      contextWindow,
      maxTokens,
    };
    if (traits.compat) model.compat = { ...traits.compat };
    return model;
  };
}
