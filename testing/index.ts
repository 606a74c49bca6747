/**
 * `qcore/testing`: a loopback mock of every supported provider, for testing
 * agents offline. `startMockServer` needs Node; `createMockSession` scripts
 * a running server from any runtime.
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
