/**
 * `qcore serve`: a directory served as a remote workspace until Ctrl-C or
 * SIGTERM. The token is never printed.
 */
import { realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import { MissingPeerError } from '../../../src/server/missing-peer.js';
import { startExecServer } from '../exec-server.js';
import type { ServeArgs } from './args.js';
import { CliError } from './errors.js';
import { version } from './help.js';
import { homePaths } from './home.js';
import { prepareSandbox } from './sandbox-setup.js';
import type { TerminalStream } from './style.js';

/** The root with its links resolved, as the sandbox binds it; a missing root is reported later. */
function realRoot(root: string): string {
  try {
    return realpathSync(root);
  } catch {
    return root;
  }
}

export async function runServe(args: ServeArgs, stdout: TerminalStream): Promise<number> {
  const root = resolve(args.root ?? process.cwd());
  const token = args.token;
  if (!token) throw new CliError('serve needs a token', 2);
  // Checked before listening: with --sandbox, no command ever runs unsandboxed.
  const sandbox = args.sandbox
    ? prepareSandbox(args.sandbox.network, realRoot(root), homePaths(process.env).home, process.env)
    : undefined;
  let server: Awaited<ReturnType<typeof startExecServer>>;
  try {
    const options: Parameters<typeof startExecServer>[0] = { root, token };
    if (args.port !== undefined) options.port = args.port;
    if (args.host !== undefined) options.host = args.host;
    if (args.cors !== undefined) options.cors = args.cors;
    if (args.allowedHosts !== undefined) options.allowedHosts = args.allowedHosts;
    if (sandbox) options.workspace = { sandbox };
    if (args.mcp) options.mcp = { version: version() };
    options.warn = (message) => process.stderr.write(`qcore serve: warning: ${message}\n`);
    server = await startExecServer(options);
  } catch (error) {
    if (error instanceof MissingPeerError) throw new CliError(new MissingPeerError('serve').message);
    const reason = error instanceof Error ? error.message : String(error);
    throw new CliError(`cannot serve ${root}: ${reason}`);
  }
  const confined = sandbox ? `; commands sandboxed${sandbox.network ? ', with network' : ', no network'}` : '';
  stdout.write(`qcore serve: ${server.url} (root ${root}${confined}); Ctrl-C stops\n`);
  await new Promise<void>((done) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      done();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await server.close();
  return 0;
}
