/**
 * Amazon Bedrock's ConverseStream protocol and what only it uses: the binary
 * AWS event-stream decoder (`eventstream.ts`), the SigV4 signer (`sigv4.ts`)
 * and the region rule (`region.ts`). Code another protocol needs belongs in
 * `src/ai/`, not here.
 */
export type { BedrockCredentials, BedrockStreamOptions } from './bedrock-converse-stream.js';
// The registry loads `bedrock-converse-stream-protocol.ts` itself.
export { streamBedrock } from './bedrock-converse-stream.js';
