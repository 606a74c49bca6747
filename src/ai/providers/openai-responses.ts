/**
 * The OpenAI Responses protocol, ready to call, for code that imports it statically (`register-all.ts`,
 * tests). The registry loads `openai-responses-protocol.ts` itself, on first use.
 */
import { engine } from '../engine.js';
import type { StreamFunction } from '../types.js';
import defineOpenAIResponses from './openai-responses-protocol.js';

export const streamOpenAIResponses: StreamFunction = defineOpenAIResponses(engine);
