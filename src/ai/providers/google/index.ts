/**
 * The Gemini API protocol and what only it uses: the subset of JSON Schema
 * Gemini accepts for function declarations (`gemini-schema.ts`). Code another
 * protocol needs belongs in `src/ai/`, not here.
 */
// The registry loads `google-generative-ai-protocol.ts` itself.
export { streamGoogle } from './google-generative-ai.js';
