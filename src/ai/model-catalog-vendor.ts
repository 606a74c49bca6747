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
 * The display name an id gives: its words capitalized, and numbers that
 * follow each other joined by a dot (`claude-opus-4-5` is `Claude Opus 4.5`,
 * `kimi-k3.1-pro` is `Kimi K3.1 Pro`). An entry whose name follows another
 * rule (`GPT-5 mini`, `Gemini 3.1 Flash-Lite`) writes it after the id.
 */
function nameOf(id: string): string {
  return id
    .split('-')
    .map((word) => word[0]?.toUpperCase() + word.slice(1))
    .join(' ')
    .replace(/(\d) (?=\d)/g, '$1.');
}

/** An entry after its id and its name, if written. */
type Figures = [price: Price, contextWindow: number, maxTokens: number, own?: Traits];

/**
 * One vendor's entry builder: its provider, api and base URL, and the traits
 * its models share. Each entry gets its own `input`, `cost` and `compat`
 * objects, so changing one model changes no other. The name is optional
 * where the id gives it (`nameOf`): written out, names were a sixth of the
 * catalog, which is in every app's first chunk.
 */
export function vendor<const P extends string>(provider: P, api: KnownApi, baseUrl: string, shared?: Traits) {
  function entry<const Id extends string>(id: Id, ...figures: Figures): Entry<P, Id>;
  function entry<const Id extends string>(id: Id, name: string, ...figures: Figures): Entry<P, Id>;
  function entry<const Id extends string>(id: Id, ...args: [string, ...Figures] | Figures): Entry<P, Id> {
    const [name, [input, output, cacheRead, cacheWrite = 0], contextWindow, maxTokens, own] = (
      typeof args[0] === 'string' ? args : [nameOf(id), ...args]
    ) as [string, ...Figures];
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
  }
  return entry;
}
