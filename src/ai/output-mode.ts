/**
 * How a model is asked for structured output, in a module of its own: the
 * agent needs it up front, and importing it from `output-schema.ts` would
 * make every app that only streams fetch that module (which structured
 * output's lazy chunk also reaches) with its first chunk.
 */
import type { Model } from './types.js';

/** Protocols that ask with a forced tool unless the model says `native`. */
const TOOL_BY_DEFAULT = new Set(['anthropic-messages', 'bedrock-converse-stream']);

/** `native` (the protocol's own field) or `tool` (a forced call of one tool); shared with the agent. */
export function outputMode(model: Model): 'native' | 'tool' {
  return model.structuredOutput ?? (TOOL_BY_DEFAULT.has(model.api) ? 'tool' : 'native');
}
