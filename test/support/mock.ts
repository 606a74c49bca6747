import { inject } from 'vitest';
import { createMockSession, type MockSession } from '../../testing/client.js';
import type { MockScript, MockTurn } from '../../testing/script.js';

declare module 'vitest' {
  export interface ProvidedContext {
    mockUrl: string;
    /** The official SDK's Streamable HTTP MCP server the global setup started (test/setup/mcp-test-server.ts). */
    mcpUrl: string;
  }
}

/** The loopback mock server that vitest's globalSetup started. */
export function mockServerUrl(): string {
  return inject('mockUrl');
}

/** A fresh, isolated session on the shared mock server. */
export function mockSession(script: MockScript<MockTurn>): Promise<MockSession> {
  return createMockSession(mockServerUrl(), script);
}
