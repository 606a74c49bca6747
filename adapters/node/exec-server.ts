/**
 * `startExecServer`: the remote workspace endpoint over a directory, served
 * by Node's HTTP server. `qcore serve` is a thin wrapper around it.
 */
import type { AddressInfo } from 'node:net';
import { createExecApp, type ExecAppOptions } from './exec-app.js';
import { NodeWorkspace, type NodeWorkspaceOptions } from './node-workspace.js';

export interface ExecServerOptions extends Omit<ExecAppOptions, 'workspace'> {
  /** The directory served. */
  root: string;
  /** Default 0: any free port (read it from `url`). */
  port?: number;
  /**
   * Default `127.0.0.1`. Anything else exposes a shell to the network with
   * the token in clear text unless a TLS proxy sits in front.
   */
  host?: string;
  /** How the served `NodeWorkspace` confines paths and runs commands. */
  workspace?: NodeWorkspaceOptions;
}

export interface ExecServer {
  /** Such as `http://127.0.0.1:5123`: hand it to `RemoteWorkspace`. */
  readonly url: string;
  readonly workspace: NodeWorkspace;
  /** Stops listening and drops open connections, which aborts running commands. */
  close(): Promise<void>;
}

export async function startExecServer(options: ExecServerOptions): Promise<ExecServer> {
  const { root, port = 0, host = '127.0.0.1', workspace: workspaceOptions, ...appOptions } = options;
  const workspace = new NodeWorkspace(root, workspaceOptions);
  // Fails now, not on the first request, when the root is missing.
  await workspace.stat('.');
  const app = createExecApp({ ...appOptions, workspace });
  // Loaded here so `qcore/node` users who never serve do not need the package.
  const { serve } = await import('@hono/node-server');

  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const started = serve({ fetch: app.fetch, port, hostname: host }, () => {
      started.off('error', reject);
      resolve(started);
    });
    started.once('error', reject);
  });

  const address = server.address() as AddressInfo;
  const shownHost =
    address.family === 'IPv6' || address.address.includes(':') ? `[${address.address}]` : address.address;
  return {
    url: `http://${shownHost}:${address.port}`,
    workspace,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // Streaming exec responses would otherwise hold close() open until the commands end.
        if ('closeAllConnections' in server) server.closeAllConnections();
      }),
  };
}
