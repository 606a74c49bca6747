import type { FetchLike } from '../ai/guarded-fetch.js';
import { createMcpClient, type McpClient, type McpClientInfo } from './client.js';
import { createHttpTransport, type McpHeaders } from './http-transport.js';

export interface ConnectMcpOptions {
  /** The server's name, in tool names (`mcp__<name>__<tool>`) and errors. */
  name: string;
  /** The server's Streamable HTTP endpoint (or an older HTTP+SSE one). */
  url: string;
  /** Sent with every request; a function is asked each time (the hook for OAuth tokens). */
  headers?: McpHeaders;
  fetch?: FetchLike;
  /** Bounds each request. Default 60 s. */
  timeoutMs?: number;
  clientInfo?: McpClientInfo;
}

/** Connects to an MCP server over HTTP and lists its tools. */
export function connectMcp(options: ConnectMcpOptions): Promise<McpClient> {
  const transport = createHttpTransport({
    name: options.name,
    url: options.url,
    ...(options.headers ? { headers: options.headers } : {}),
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  return createMcpClient({
    name: options.name,
    transport,
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    ...(options.clientInfo ? { clientInfo: options.clientInfo } : {}),
  });
}
