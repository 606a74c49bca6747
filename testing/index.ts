/**
 * `qcore/testing`: a loopback mock of every supported provider, for testing
 * agents offline. `startMockServer` needs Node; `createMockSession` scripts
 * a running server from any runtime.
 *
 * Belongs here: the script language (`script.ts`), one wire encoder per
 * protocol (`wire/`), context windows (`context.ts`), the Node server and
 * its HTTP client.
 *
 * Context windows: a script's `contextWindow` (every model) or
 * `models[id].contextWindow` makes the server count each request's tokens by
 * its own documented rule (`countRequestTokens`, not a real tokenizer) and
 * answer a request over the window with that provider's real error (status,
 * headers, body; `models[id].variant` picks the OpenAI-compatible server),
 * before any turn is consumed. Under it, a reply without `usage` reports the
 * counted input and `ceil(characters / 4)` output tokens. A script's
 * `responders` answer any request whose body contains a string, without
 * consuming a turn (an agent's summary requests, say). Does not belong:
 * anything from `src/` (the mock imports nothing from the core, so it
 * checks the clients independently, its CRC and framing included), test
 * assertions or vitest (they are in `test/`).
 */

export type { MockSession } from './client.js';
export { createMockSession } from './client.js';
export {
  contextOverflow,
  countReplyTokens,
  countRequestTokens,
  countTextTokens,
  measureRequest,
  modelOfRequest,
  modelSettings,
} from './context.js';
export type { MockServer, MockServerOptions, MockSessionHandle } from './mock-server.js';
export { startMockServer } from './mock-server.js';
export type {
  MockApi,
  MockBlock,
  MockHttpError,
  MockModel,
  MockRawReply,
  MockReply,
  MockRequest,
  MockRequestMeasure,
  MockResponder,
  MockScript,
  MockStreamFault,
  MockTurn,
  MockTurnFunction,
  MockUsage,
  MockVariant,
  WireChunk,
  WireEncoder,
} from './script.js';
export { splitText, sseEvent } from './script.js';
