/**
 * `qcore/testing`: a loopback mock of every supported provider, for testing
 * agents offline. `startMockServer` needs Node; `createMockSession` scripts
 * a running server from any runtime.
 *
 * Belongs here: the script language (`script.ts`), one wire encoder per
 * protocol (`wire/`), the Node server and its HTTP client. Does not belong:
 * anything from `src/` (the mock imports nothing from the core, so it
 * checks the clients independently, its CRC and framing included), test
 * assertions or vitest (they are in `test/`).
 */

export type { MockSession } from './client.js';
export { createMockSession } from './client.js';
export type { MockServer, MockServerOptions, MockSessionHandle } from './mock-server.js';
export { startMockServer } from './mock-server.js';
export type {
  MockApi,
  MockBlock,
  MockHttpError,
  MockRawReply,
  MockReply,
  MockRequest,
  MockScript,
  MockStreamFault,
  MockTurn,
  MockTurnFunction,
  MockUsage,
  WireChunk,
  WireEncoder,
} from './script.js';
export { splitText, sseEvent } from './script.js';
