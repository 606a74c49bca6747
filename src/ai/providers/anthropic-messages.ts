/**
 * The Anthropic Messages protocol, ready to call, for code that imports it statically (`register-all.ts`,
 * tests). The registry loads `anthropic-messages-protocol.ts` itself, on first use.
 */
import { engine } from '../engine.js';
import type { StreamFunction } from '../types.js';
import defineAnthropic from './anthropic-messages-protocol.js';

export const streamAnthropic: StreamFunction = defineAnthropic(engine);
