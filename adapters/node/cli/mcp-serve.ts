/**
 * `qcore mcp`: the coding tools on a directory, served over stdio as an MCP
 * server: one JSON-RPC message a line in, one a line out. Only MCP messages
 * go to stdout; anything else goes to stderr.
 */
import { realpathSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { createMcpServerHandler } from '../../../src/mcp/server-handler.js';
import type { JsonRpcMessage } from '../../../src/mcp/transport.js';
import { createCodingTools } from '../../../src/tools/coding-tools.js';
import { NodeWorkspace } from '../node-workspace.js';
import type { McpArgs } from './args.js';
import { UsageError } from './errors.js';
import { version } from './help.js';
import { homePaths } from './home.js';
import { prepareSandbox } from './sandbox-setup.js';

/** A line longer than this is not a message any client sends; it is refused, and reading goes on. */
const MAX_LINE_BYTES = 16 * 1024 * 1024;

export async function runMcpServer(
  args: McpArgs,
  io: { stdin: NodeJS.ReadableStream; stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream },
): Promise<number> {
  const cwd = resolve(args.cwd ?? process.cwd());
  let real: string;
  try {
    if (!statSync(cwd).isDirectory()) throw new Error('not a directory');
    real = realpathSync(cwd);
  } catch {
    throw new UsageError(`--cwd ${cwd} is not a directory`);
  }
  // Checked before serving: with --sandbox, no command ever runs unsandboxed.
  const sandbox = args.sandbox
    ? prepareSandbox(args.sandbox.network, real, homePaths(process.env).home, process.env)
    : undefined;
  const workspace = new NodeWorkspace(real, sandbox ? { sandbox } : {});
  const tools = createCodingTools(workspace, args.tools ? { tools: args.tools } : {});
  const handler = createMcpServerHandler({ name: 'qcore', version: version(), tools });
  const write = (message: JsonRpcMessage) => io.stdout.write(`${JSON.stringify(message)}\n`);

  return new Promise<number>((done) => {
    let buffer = '';
    let skipping = false;
    const line = (text: string): void => {
      if (text.trim() === '') return;
      let message: JsonRpcMessage;
      try {
        message = JSON.parse(text) as JsonRpcMessage;
      } catch {
        write({ jsonrpc: '2.0', error: { code: -32700, message: 'parse error: a line is not JSON' } });
        return;
      }
      handler.handle(message, write).then(
        (response) => {
          if (response) write(response);
        },
        (error: unknown) => {
          if (message.id !== undefined) {
            write({ jsonrpc: '2.0', id: message.id, error: { code: -32603, message: String(error) } });
          }
        },
      );
    };
    io.stdin.setEncoding('utf8');
    io.stdin.on('data', (chunk: string) => {
      let text = chunk;
      for (let end = text.indexOf('\n'); end !== -1; end = text.indexOf('\n')) {
        if (!skipping) line(buffer + text.slice(0, end));
        buffer = '';
        skipping = false;
        text = text.slice(end + 1);
      }
      if (skipping) return;
      buffer += text;
      if (buffer.length > MAX_LINE_BYTES) {
        write({ jsonrpc: '2.0', error: { code: -32600, message: 'a message is over 16 MiB; it is skipped' } });
        buffer = '';
        skipping = true;
      }
    });
    io.stdin.on('end', () => {
      if (!skipping) line(buffer);
      handler.close();
      done(0);
    });
  });
}
