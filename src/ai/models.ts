import { type CatalogEntry, MODEL_CATALOG } from './model-catalog.js';
import type { KnownProvider, Model, Provider } from './types.js';

/** The catalog's ids for one provider, such as `'claude-sonnet-4-6'` for `'anthropic'`. */
export type KnownModelId<P extends KnownProvider> = Extract<CatalogEntry, { provider: P }>['id'];

/**
 * What `getModel` takes as the id: a catalog id for a provider written as a
 * literal the catalog knows, any string for another provider or for one only
 * known at run time (a `string` or `Provider` variable).
 */
export type ModelIdOf<P extends Provider> = P extends KnownProvider ? KnownModelId<P> : string;

const registered = new Map<string, Model>();

function keyOf(provider: string, id: string): string {
  return `${provider}\u0000${id}`;
}

/**
 * Looks a model up by provider and id; registered models shadow the
 * catalog. Returns `undefined` for an unknown model: the lookup for ids that
 * arrive at run time, from a flag or a config.
 */
export function findModel(provider: Provider, id: string): Model | undefined {
  return registered.get(keyOf(provider, id)) ?? MODEL_CATALOG.find((m) => m.provider === provider && m.id === id);
}

/**
 * Looks a model up by provider and id, as `findModel` does, and throws on an
 * unknown one, naming the closest ids. With a provider literal the catalog
 * knows, the id must be one of its catalog ids, so a typo fails to compile;
 * a model registered under such a provider is reached with `findModel`, or
 * with the provider typed as `Provider`.
 */
export function getModel<P extends Provider>(provider: P, id: ModelIdOf<P>): Model {
  const model = findModel(provider, id);
  if (model) return model;
  const ids = listModels(provider).map((m) => m.id);
  // An error path over a few dozen ids: recomputing distances while sorting costs nothing that matters.
  const closest = ids.sort((a, b) => editDistance(id, a) - editDistance(id, b)).slice(0, 3);
  throw new Error(
    ids.length === 0
      ? `No models for provider "${provider}"; register one with registerModel`
      : `Unknown model "${id}" for ${provider}; closest: ${closest.join(', ')}. findModel returns undefined instead of throwing`,
  );
}

/** Levenshtein distance, for naming the ids nearest a typo. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      // Every index read is set: `previous` has b.length + 1 entries, `current` up to j - 1.
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

/** Every known model, or those of one provider; registered models shadow the catalog. */
export function listModels(provider?: Provider): Model[] {
  const result: Model[] = [];
  const seen = new Set<string>();
  for (const model of [...registered.values(), ...MODEL_CATALOG]) {
    if (provider !== undefined && model.provider !== provider) continue;
    const key = keyOf(model.provider, model.id);
    if (seen.has(key)) continue;
    seen.add(key);
    result.push(model);
  }
  return result;
}

/** Adds a model, or replaces one with the same provider and id. */
export function registerModel(model: Model): void {
  registered.set(keyOf(model.provider, model.id), model);
}
