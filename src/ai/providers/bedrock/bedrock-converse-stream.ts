/**
 * Amazon Bedrock's ConverseStream protocol, ready to call, for code that imports it statically (`register-all.ts`,
 * tests). The registry loads `bedrock-converse-stream-protocol.ts` itself, on first use.
 */
import { engine } from '../../engine.js';
import type { StreamFunction } from '../../types.js';
import { type BedrockStreamOptions, default as defineBedrock } from './bedrock-converse-stream-protocol.js';

export type { BedrockCredentials, BedrockStreamOptions } from './bedrock-converse-stream-protocol.js';

export const streamBedrock: StreamFunction<BedrockStreamOptions> = defineBedrock(engine);
