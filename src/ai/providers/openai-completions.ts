/**
 * The OpenAI Chat Completions protocol, ready to call, for code that imports it statically (`register-all.ts`,
 * tests). The registry loads `openai-completions-protocol.ts` itself, on first use.
 */
import { engine } from '../engine.js';
import type { StreamFunction } from '../types.js';
import defineOpenAICompletions from './openai-completions-protocol.js';

export const streamOpenAICompletions: StreamFunction = defineOpenAICompletions(engine);
