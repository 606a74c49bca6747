/**
 * The Gemini API protocol and what only it uses: the subset of JSON Schema
 * Gemini accepts for function declarations (`gemini-schema.ts`). Code another
 * protocol needs belongs in `src/ai/`, not here.
 */
// `default` for the registry, which loads every protocol by that one name.
export { streamGoogle as default, streamGoogle } from './google-generative-ai.js';
