/**
 * Amazon Bedrock's ConverseStream protocol and what only it uses: the binary
 * AWS event-stream decoder (`eventstream.ts`), the SigV4 signer (`sigv4.ts`)
 * and the region rule (`region.ts`). Code another protocol needs belongs in
 * `src/ai/`, not here.
 */
export type { BedrockCredentials, BedrockStreamOptions } from './bedrock-converse-stream.js';
// `default` for the registry, which loads every protocol by that one name.
export { streamBedrock as default, streamBedrock } from './bedrock-converse-stream.js';
