// STUB written by the lead so the core loads; the helper that owns this file replaces it entirely.
import type { StreamFunction } from '../types.js';
export const streamOpenAICompletions: StreamFunction = () => {
  throw new Error('not implemented');
};
