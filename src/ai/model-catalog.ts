import type { Model } from './types.js';

/** Placeholder: replaced by the hand-kept catalog. */
export const MODEL_CATALOG: readonly Model[] = [];
