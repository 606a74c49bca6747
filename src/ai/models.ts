import { MODEL_CATALOG } from './model-catalog.js';
import type { Model, Provider } from './types.js';

const registered = new Map<string, Model>();

function keyOf(provider: string, id: string): string {
  return `${provider}\u0000${id}`;
}

/**
 * Looks a model up by provider and id; registered models shadow the
 * catalog. Returns `undefined` for an unknown model.
 */
export function getModel(provider: Provider, id: string): Model | undefined {
  return registered.get(keyOf(provider, id)) ?? MODEL_CATALOG.find((m) => m.provider === provider && m.id === id);
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
