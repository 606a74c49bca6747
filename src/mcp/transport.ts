/**
 * How the MCP client talks to a server: JSON-RPC 2.0 messages both ways,
 * over Streamable HTTP (`http-transport.ts`, web standards) or a child
 * process's stdio (`adapters/node/mcp-stdio.ts`). The client (`client.ts`)
 * sees only this interface.
 */

export interface JsonRpcError {
  code: number;
  message: string;
  data?: unknown;
}

/** A request (`id` and `method`), a notification (`method`, no `id`) or a response (`id`, `result` or `error`). */
export interface JsonRpcMessage {
  jsonrpc: '2.0';
  id?: string | number;
  method?: string;
  params?: unknown;
  result?: unknown;
  error?: JsonRpcError;
}

export interface McpTransportHandlers {
  /** Every message from the server: responses, notifications and requests. */
  onMessage(message: JsonRpcMessage): void;
  /** The connection ended; `error` says why when it was not `close()`. */
  onClose(error?: Error): void;
}

export interface McpTransport {
  /** Opens the connection; messages arrive through `handlers` from then on. */
  start(handlers: McpTransportHandlers): Promise<void>;
  /** Sends one message. Rejects when it cannot be delivered. */
  send(message: JsonRpcMessage, options?: { signal?: AbortSignal }): Promise<void>;
  /** Ends the connection and frees what it holds (a child process, an HTTP session). */
  close(): Promise<void>;
}

/**
 * The server no longer knows the session: HTTP 404 to a request that carried
 * its id. The spec's answer is a new `initialize`, which the client sends
 * before trying the request once more.
 */
export class McpSessionExpiredError extends Error {
  override name = 'McpSessionExpiredError';
}
