import type { TestProject } from 'vitest/node';
import { type MockServer, startMockServer } from '../../testing/mock-server.js';
import { startMcpTestServer } from './mcp-test-server.js';

let server: MockServer | undefined;
let mcp: Awaited<ReturnType<typeof startMcpTestServer>> | undefined;

/** Starts one loopback mock server for every project and provides its URL. */
export async function setup(project: TestProject): Promise<void> {
  server = await startMockServer();
  project.provide('mockUrl', server.url);
  mcp ??= await startMcpTestServer();
  project.provide('mcpUrl', mcp.url);
}

export async function teardown(): Promise<void> {
  await server?.close();
  await mcp?.close();
}
