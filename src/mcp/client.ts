/**
 * The MCP client over any `McpTransport`: JSON-RPC requests matched to their
 * responses by id, each bounded by a timeout and an optional abort signal;
 * the `initialize` handshake; the server's tools listed (and listed again on
 * `notifications/tools/list_changed`) as `AgentTool`s; answers to the
 * server's own requests (`ping`); and a new session, once, when the server
 * says the old one expired.
 */
import type { AgentTool } from '../agent/types.js';
import {
  type McpCallTool,
  type McpCallToolResult,
  type McpProgress,
  type McpToolInfo,
  mcpToolNames,
  mcpToolToAgentTool,
} from './tool-adapter.js';
import { type JsonRpcError, type JsonRpcMessage, McpSessionExpiredError, type McpTransport } from './transport.js';

/** The protocol versions qcore speaks, newest first; it asks for the first. */
export const MCP_PROTOCOL_VERSIONS = ['2025-11-25', '2025-06-18', '2025-03-26', '2024-11-05'] as const;
/** Tools kept from one server; the rest are dropped. */
export const MAX_MCP_TOOLS = 1_000;
/** `tools/list` pages read at most for one listing. */
const MAX_LIST_PAGES = 100;
/** Requests waiting for an answer at once; more are refused. */
const MAX_PENDING_REQUESTS = 1_000;

export interface McpClientInfo {
  name: string;
  version: string;
}

export interface McpClientOptions {
  /** The server's name, in tool names (`mcp__<name>__<tool>`) and errors. */
  name: string;
  transport: McpTransport;
  /** Bounds each request. Default 60 s. */
  timeoutMs?: number;
  /** Sent in `initialize`. Default `{ name: 'qcore', version: '0.1.0' }`. */
  clientInfo?: McpClientInfo;
}

export interface McpClient {
  name: string;
  /** The server's tools as the agent runs them; a new list after each `tools/list_changed`. */
  tools(): AgentTool[];
  /** Called after the list `tools()` returns has changed. Returns a function that removes the listener. */
  onToolsChanged(listener: () => void): () => void;
  /** Why the connection ended (the server exited, its stream broke, `close()`); undefined while it is open. */
  closedReason(): string | undefined;
  /** Ends pending requests and the connection. */
  close(): Promise<void>;
}

interface Pending {
  method: string;
  resolve(result: unknown): void;
  reject(error: Error): void;
}

/** The server answered a request with a JSON-RPC error. */
export class McpError extends Error {
  override name = 'McpError';
  constructor(
    message: string,
    readonly code: number,
    readonly data?: unknown,
  ) {
    super(message);
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Connects over `transport`: starts it, runs the `initialize` handshake and
 * lists the server's tools. Rejects (and closes the transport) if any of
 * that fails.
 */
export async function createMcpClient(options: McpClientOptions): Promise<McpClient> {
  const { name, transport } = options;
  const timeoutMs = options.timeoutMs ?? 60_000;
  const who = `MCP server "${name}"`;
  const pending = new Map<string | number, Pending>();
  const progressHandlers = new Map<string, (progress: McpProgress) => void>();
  const listeners = new Set<() => void>();
  let nextId = 1;
  let nextProgressToken = 1;
  let closedError: Error | undefined;
  let current: AgentTool[] = [];
  let listing: Promise<void> | undefined;
  let listAgain = false;

  const failAll = (error: Error): void => {
    for (const request of pending.values()) request.reject(error);
    pending.clear();
  };

  const send = (message: JsonRpcMessage): void => {
    transport.send(message).catch(() => {});
  };

  /** Sends a request; resolves with its result. Cancelled (`notifications/cancelled`) on abort or timeout. */
  const request = (method: string, params: unknown, signal?: AbortSignal): Promise<unknown> => {
    if (closedError) return Promise.reject(closedError);
    if (signal?.aborted) return Promise.reject(new Error(`${who}: ${method} aborted`));
    if (pending.size >= MAX_PENDING_REQUESTS) {
      return Promise.reject(new Error(`${who}: more than ${MAX_PENDING_REQUESTS} requests pending; ${method} refused`));
    }
    const id = nextId++;
    // Ends the transport's side of the request (an HTTP response being read) once it is settled.
    const done = new AbortController();
    return new Promise<unknown>((resolve, reject) => {
      /**
       * `stop`: end the transport's side too. An answered request has nothing left to read (the
       * transport stops an event stream at its answer), and aborting costs more than the call itself.
       */
      const settle = (stop = true): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        pending.delete(id);
        if (stop) done.abort();
      };
      const cancel = (reason: string): void => {
        settle();
        if (method !== 'initialize' && !closedError) {
          send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: id, reason } });
        }
      };
      const onAbort = (): void => {
        cancel('aborted');
        reject(new Error(`${who}: ${method} aborted`));
      };
      const timer = setTimeout(() => {
        cancel('timed out');
        reject(new Error(`${who}: ${method} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      pending.set(id, {
        method,
        resolve: (result) => {
          settle(false);
          resolve(result);
        },
        reject: (error) => {
          settle();
          reject(error);
        },
      });
      const message: JsonRpcMessage = { jsonrpc: '2.0', id, method, params };
      const fail = (error: unknown): void => {
        if (!pending.has(id)) return;
        settle();
        reject(new Error(`${who}: ${method} failed: ${error instanceof Error ? error.message : String(error)}`));
      };
      transport.send(message, { signal: done.signal }).catch((error: unknown) => {
        if (!(error instanceof McpSessionExpiredError) || method === 'initialize' || !pending.has(id)) {
          return fail(error);
        }
        // Once: a session that expires again at once is a server fault, not something to loop on.
        renewSession()
          .then(() => (pending.has(id) ? transport.send(message, { signal: done.signal }) : undefined))
          .catch(fail);
      });
    });
  };

  const answer = (message: JsonRpcMessage): void => {
    const id = message.id as string | number;
    if (message.method === 'ping') send({ jsonrpc: '2.0', id, result: {} });
    else {
      const error: JsonRpcError = {
        code: -32601,
        message: `Method not found: ${String(message.method).slice(0, 100)}`,
      };
      send({ jsonrpc: '2.0', id, error });
    }
  };

  const onNotification = (method: string, params: unknown): void => {
    if (method === 'notifications/tools/list_changed') void refresh();
    else if (method === 'notifications/progress' && isRecord(params)) {
      const handler = progressHandlers.get(String(params.progressToken));
      if (handler && typeof params.progress === 'number') {
        const progress: McpProgress = { progress: params.progress };
        if (typeof params.total === 'number') progress.total = params.total;
        if (typeof params.message === 'string') progress.message = params.message;
        handler(progress);
      }
    }
  };

  const onMessage = (message: JsonRpcMessage): void => {
    if (!isRecord(message)) return;
    if (typeof message.method === 'string') {
      if (message.id !== undefined && message.id !== null) answer(message);
      else onNotification(message.method, message.params);
      return;
    }
    if (message.id === undefined || message.id === null) return;
    const waiting = pending.get(message.id);
    if (!waiting) return;
    if (isRecord(message.error)) {
      const { code, message: text, data } = message.error;
      const detail = typeof text === 'string' ? text.slice(0, 2_000) : 'unknown error';
      waiting.reject(new McpError(`${who}: ${waiting.method} failed: ${detail}`, Number(code), data));
    } else waiting.resolve(message.result);
  };

  const callTool: McpCallTool = async (tool, args, { signal, onProgress }) => {
    const progressToken = `qcore-${nextProgressToken++}`;
    progressHandlers.set(progressToken, onProgress);
    try {
      const result = await request('tools/call', { name: tool, arguments: args, _meta: { progressToken } }, signal);
      return (isRecord(result) ? result : {}) as McpCallToolResult;
    } finally {
      progressHandlers.delete(progressToken);
    }
  };

  const listTools = async (): Promise<AgentTool[]> => {
    const infos: McpToolInfo[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < MAX_LIST_PAGES && infos.length < MAX_MCP_TOOLS; page++) {
      const result = await request('tools/list', cursor === undefined ? {} : { cursor });
      if (!isRecord(result)) break;
      for (const tool of Array.isArray(result.tools) ? result.tools : []) {
        if (isRecord(tool) && typeof tool.name === 'string' && infos.length < MAX_MCP_TOOLS) {
          infos.push(tool as unknown as McpToolInfo);
        }
      }
      cursor = typeof result.nextCursor === 'string' ? result.nextCursor : undefined;
      if (cursor === undefined) break;
    }
    const names = mcpToolNames(
      name,
      infos.map((info) => info.name),
    );
    return infos.map((info, i) => mcpToolToAgentTool(name, names[i] as string, info, callTool));
  };

  /** Lists the tools again; one listing at a time, and one more if a change came meanwhile. */
  const refresh = (): Promise<void> => {
    if (listing) {
      listAgain = true;
      return listing;
    }
    listing = (async () => {
      do {
        listAgain = false;
        try {
          current = await listTools();
        } catch {
          // The old list stays; the next change notification tries again.
          continue;
        }
        for (const listener of [...listeners]) {
          try {
            listener();
          } catch {
            // A listener's failure is its own.
          }
        }
      } while (listAgain && !closedError);
    })().finally(() => {
      listing = undefined;
    });
    return listing;
  };

  await transport.start({
    onMessage,
    onClose: (error) => {
      closedError ??= new Error(`${who} closed the connection${error ? `: ${error.message}` : ''}`);
      failAll(closedError);
    },
  });

  /** `initialize` and `notifications/initialized`; the server's capabilities. */
  const handshake = async (): Promise<Record<string, unknown>> => {
    const init = await request('initialize', {
      protocolVersion: MCP_PROTOCOL_VERSIONS[0],
      capabilities: {},
      clientInfo: options.clientInfo ?? { name: 'qcore', version: '0.1.0' },
    });
    const version = isRecord(init) ? init.protocolVersion : undefined;
    if (!MCP_PROTOCOL_VERSIONS.includes(version as (typeof MCP_PROTOCOL_VERSIONS)[number])) {
      throw new Error(`${who} answered protocol version ${JSON.stringify(version)}, which qcore does not speak`);
    }
    await transport.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    return isRecord(init) && isRecord(init.capabilities) ? init.capabilities : {};
  };

  /** A new session after the server forgot the old one; requests that hit the expiry at once share it. */
  let renewing: Promise<void> | undefined;
  const renewSession = (): Promise<void> => {
    renewing ??= handshake()
      .then(() => {
        // The tools may differ in the new session; the list is read again in the background.
        void refresh();
      })
      .finally(() => {
        renewing = undefined;
      });
    return renewing;
  };

  try {
    const capabilities = await handshake();
    if (capabilities.tools !== undefined) current = await listTools();
  } catch (error) {
    closedError ??= new Error(`${who} is closed`);
    failAll(closedError);
    await transport.close().catch(() => {});
    throw error;
  }

  return {
    name,
    tools: () => [...current],
    onToolsChanged: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    closedReason: () => closedError?.message,
    close: async () => {
      if (closedError) return;
      closedError = new Error(`${who} is closed`);
      failAll(closedError);
      listeners.clear();
      await transport.close();
    },
  };
}
