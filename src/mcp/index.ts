/**
 * The `qcore/mcp` entry: a Model Context Protocol client on web standards
 * alone, so the same code runs in browsers, on Workers and in Node. An MCP
 * server's tools become `AgentTool`s named `mcp__<server>__<tool>`.
 *
 * Belongs here: the JSON-RPC client (`client.ts`), the transport interface
 * (`transport.ts`) and its Streamable HTTP implementation
 * (`http-transport.ts`), the tool adapter (`tool-adapter.ts`) and
 * `connectMcp` (`connect.ts`). Does not belong: transports that need a
 * runtime (stdio lives in `adapters/node`), and the official SDK, which
 * tests use for servers but `src/` never imports. The root entry does not
 * re-export this folder, so the core bundle does not grow.
 */

export type { McpClient, McpClientInfo, McpClientOptions } from './client.js';
export { createMcpClient, MAX_MCP_TOOLS, MCP_PROTOCOL_VERSIONS, McpError } from './client.js';
export type { ConnectMcpOptions } from './connect.js';
export { connectMcp } from './connect.js';
export type { HttpTransportOptions, McpHeaders } from './http-transport.js';
export { createHttpTransport } from './http-transport.js';
export type { McpCallToolResult, McpToolDetails, McpToolInfo } from './tool-adapter.js';
export { mcpResultToToolResult, mcpToolNames } from './tool-adapter.js';
export type { JsonRpcError, JsonRpcMessage, McpTransport, McpTransportHandlers } from './transport.js';
