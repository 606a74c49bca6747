/**
 * The config file's `mcpServers`: started in parallel at start-up, each
 * failure reported once while the others go on, their tools given to the
 * agent (again whenever a server's list changes), and `/mcp`'s listing.
 */
import type { AgentTool } from '../../../src/agent/types.js';
import type { McpClient } from '../../../src/mcp/client.js';
import { connectMcp } from '../../../src/mcp/connect.js';
import { connectMcpStdio } from '../mcp-stdio.js';
import type { McpServerConfig } from './config-schema.js';
import { terminalSafe } from './render.js';

export interface McpServerState {
  name: string;
  /** How it is reached: the command, or the URL. */
  target: string;
  client?: McpClient;
  error?: string;
}

export class McpServers {
  readonly servers: McpServerState[];

  private constructor(servers: McpServerState[]) {
    this.servers = servers;
  }

  /** Starts every server at once; one that fails is reported through `warn` and left out. */
  static async start(
    config: Record<string, McpServerConfig>,
    cwd: string,
    warn: (message: string) => void,
  ): Promise<McpServers> {
    const entries = Object.entries(config);
    const settled = await Promise.allSettled(entries.map(([name, server]) => connect(name, server, cwd)));
    const servers = entries.map(([name, server], i): McpServerState => {
      const outcome = settled[i] as PromiseSettledResult<McpClient>;
      const target = 'url' in server ? server.url : [server.command, ...(server.args ?? [])].join(' ');
      if (outcome.status === 'fulfilled') return { name, target, client: outcome.value };
      const error = outcome.reason instanceof Error ? outcome.reason.message : String(outcome.reason);
      // A server's stderr is in the reason: no control characters reach the terminal from it.
      warn(terminalSafe(`MCP server "${name}" did not start: ${error}`));
      return { name, target, error };
    });
    return new McpServers(servers);
  }

  /** Every connected server's tools, in config order. */
  tools(): AgentTool[] {
    return this.servers.flatMap((server) => server.client?.tools() ?? []);
  }

  /** Calls `listener` when a server's tool list changes. */
  onToolsChanged(listener: () => void): void {
    for (const server of this.servers) server.client?.onToolsChanged(listener);
  }

  /**
   * `/mcp`: one line a server, then, indented, its tools one a line (a terminal would break a
   * comma-separated list inside names) or why it failed (a server's stderr included, so without
   * control characters).
   */
  describe(): string {
    if (this.servers.length === 0) return 'no MCP servers: add them under "mcpServers" in the config file';
    const text = this.servers
      .map((server) => {
        if (!server.client) return `${server.name} · failed · ${server.target}\n${indent(server.error ?? '')}`;
        const closed = server.client.closedReason();
        if (closed) return `${server.name} · closed · ${server.target}\n${indent(closed)}`;
        const tools = server.client.tools().map((tool) => tool.name);
        return `${server.name} · connected · ${server.target}\n${indent(tools.length > 0 ? tools.join('\n') : 'no tools')}`;
      })
      .join('\n');
    return terminalSafe(text);
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.servers.map((server) => server.client?.close()));
  }
}

function connect(name: string, server: McpServerConfig, cwd: string): Promise<McpClient> {
  if ('url' in server) {
    return connectMcp({ name, url: server.url, ...(server.headers ? { headers: server.headers } : {}) });
  }
  return connectMcpStdio({
    name,
    command: server.command,
    args: server.args ?? [],
    ...(server.env ? { env: server.env } : {}),
    cwd: server.cwd ?? cwd,
  });
}

function indent(text: string): string {
  return text.replace(/^/gm, '  ');
}
