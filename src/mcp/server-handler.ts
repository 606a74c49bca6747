/**
 * qcore's side of MCP as a server: answers one JSON-RPC message at a time
 * for a set of `AgentTool`s (`initialize`, `ping`, `tools/list`,
 * `tools/call` with progress and cancellation). Transport-free, so the same
 * handler serves stdio (`qcore mcp`) and Streamable HTTP.
 */
import type { AgentTool, AgentToolResult } from '../agent/types.js';
import type { JsonRpcMessage } from './transport.js';

/** The protocol versions qcore serves, newest first; the HTTP route checks `Mcp-Protocol-Version` against them. */
export const MCP_SERVER_PROTOCOL_VERSIONS = ['2025-06-18', '2025-03-26', '2024-11-05'] as const;

export interface McpServerOptions {
  name: string;
  version: string;
  tools: readonly AgentTool[];
}

export interface McpServerHandler {
  /**
   * Answers `message`: the response for a request, nothing for a
   * notification. `notify` sends the server's own notifications (progress).
   */
  handle(message: JsonRpcMessage, notify: (message: JsonRpcMessage) => void): Promise<JsonRpcMessage | undefined>;
  /** Aborts every call still running. */
  close(): void;
}

export function createMcpServerHandler(options: McpServerOptions): McpServerHandler {
  const running = new Map<string | number, AbortController>();
  const byName = new Map(options.tools.map((tool) => [tool.name, tool]));

  const reply = (id: string | number, result: unknown): JsonRpcMessage => ({ jsonrpc: '2.0', id, result });
  const fail = (id: string | number | undefined, code: number, message: string): JsonRpcMessage => ({
    jsonrpc: '2.0',
    ...(id === undefined ? {} : { id }),
    error: { code, message },
  });

  const call = async (
    id: string | number,
    params: Record<string, unknown>,
    notify: (message: JsonRpcMessage) => void,
  ): Promise<JsonRpcMessage> => {
    const tool = typeof params.name === 'string' ? byName.get(params.name) : undefined;
    if (!tool) return fail(id, -32602, `unknown tool ${JSON.stringify(params.name)}`);
    let args: unknown = params.arguments ?? {};
    if (tool.validate) {
      const checked = await tool.validate(args);
      if (!checked.ok) return reply(id, { content: [{ type: 'text', text: checked.error }], isError: true });
      args = checked.value;
    }
    const meta = params._meta as { progressToken?: string | number } | undefined;
    const token = meta?.progressToken;
    const controller = new AbortController();
    running.set(id, controller);
    let progress = 0;
    try {
      const result = await tool.execute(args as Record<string, unknown>, {
        toolCallId: String(id),
        signal: controller.signal,
        onUpdate: (partial) => {
          if (token === undefined) return;
          const text = partial.content.find((part) => part.type === 'text')?.text;
          notify({
            jsonrpc: '2.0',
            method: 'notifications/progress',
            params: { progressToken: token, progress: ++progress, ...(text ? { message: text.slice(-500) } : {}) },
          });
        },
      });
      return reply(id, toMcpResult(result));
    } catch (error) {
      const message = controller.signal.aborted ? 'cancelled' : error instanceof Error ? error.message : String(error);
      return reply(id, { content: [{ type: 'text', text: message }], isError: true });
    } finally {
      running.delete(id);
    }
  };

  return {
    async handle(message, notify) {
      const { id, method } = message;
      if (method === undefined) return undefined; // A response to nothing we asked.
      const params = (typeof message.params === 'object' && message.params !== null ? message.params : {}) as Record<
        string,
        unknown
      >;
      if (id === undefined) {
        if (method === 'notifications/cancelled') running.get(params.requestId as string | number)?.abort();
        return undefined;
      }
      switch (method) {
        case 'initialize': {
          const asked = params.protocolVersion;
          const protocolVersion =
            MCP_SERVER_PROTOCOL_VERSIONS.find((version) => version === asked) ?? MCP_SERVER_PROTOCOL_VERSIONS[0];
          return reply(id, {
            protocolVersion,
            capabilities: { tools: { listChanged: false } },
            serverInfo: { name: options.name, version: options.version },
          });
        }
        case 'ping':
          return reply(id, {});
        case 'tools/list':
          return reply(id, {
            tools: options.tools.map((tool) => ({
              name: tool.name,
              description: tool.description,
              inputSchema: tool.parameters,
            })),
          });
        case 'tools/call':
          return call(id, params, notify);
        default:
          return fail(id, -32601, `method not found: ${method}`);
      }
    },
    close() {
      for (const controller of running.values()) controller.abort();
    },
  };
}

function toMcpResult(result: AgentToolResult): unknown {
  const content = result.content.map((part) =>
    part.type === 'text'
      ? { type: 'text', text: part.text }
      : { type: 'image', data: part.data, mimeType: part.mimeType },
  );
  return { content, isError: result.isError === true };
}
