/**
 * The Gemini API protocol, ready to call, for code that imports it statically (`register-all.ts`,
 * tests). The registry loads `google-generative-ai-protocol.ts` itself, on first use.
 */
import { engine } from '../../engine.js';
import type { StreamFunction } from '../../types.js';
import defineGoogle from './google-generative-ai-protocol.js';

export const streamGoogle: StreamFunction = defineGoogle(engine);
