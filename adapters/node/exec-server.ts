/**
 * `startExecServer`: the remote workspace endpoint over a directory, served
 * by Node's HTTP server. `qcore serve` is a thin wrapper around it.
 */
import type { AddressInfo } from 'node:net';
import { createExecApp, type ExecAppOptions, hostName, isLoopbackName } from '../../src/server/exec-app.js';
import { isMissingPackage, MissingPeerError } from '../../src/server/missing-peer.js';
import { NodeWorkspace, type NodeWorkspaceOptions } from './node-workspace.js';

export interface ExecServerOptions extends Omit<ExecAppOptions, 'workspace'> {
  /** The directory served. */
  root: string;
  /** Default 0: any free port (read it from `url`). */
  port?: number;
  /**
   * Default `127.0.0.1`. Anything else exposes a shell to the network with
   * the token in clear text unless a TLS proxy sits in front, and is warned
   * about. It joins `allowedHosts`, the names the Host header may carry.
   */
  host?: string;
  /**
   * Longest wait for a client to send its whole request, headers and body,
   * before the connection is cut with 408. Default 10 s: a client that
   * sends headers and then nothing must not hold a socket for Node's 300 s.
   */
  requestTimeoutMs?: number;
  /** Where the warning about listening beyond loopback goes. Default `console.warn`. */
  warn?: (message: string) => void;
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
  const {
    root,
    port = 0,
    host = '127.0.0.1',
    requestTimeoutMs = 10_000,
    warn = (message: string) => console.warn(`qcore: warning: ${message}`),
    workspace: workspaceOptions,
    ...appOptions
  } = options;
  if (!(requestTimeoutMs > 0)) throw new Error('startExecServer: requestTimeoutMs must be positive');
  // Loaded here so `qcore/node` users who never serve do not need the package; first, so a
  // missing peer is the one error reported.
  const { serve } = await import('@hono/node-server').catch((error: unknown) => {
    throw isMissingPackage(error, '@hono/node-server') ? new MissingPeerError('startExecServer') : error;
  });
  const workspace = new NodeWorkspace(root, workspaceOptions);
  // Fails now, not on the first request, when the root is missing.
  await workspace.stat('.');
  let app: ReturnType<typeof createExecApp>;
  try {
    app = createExecApp({ ...appOptions, workspace, allowedHosts: [...(appOptions.allowedHosts ?? []), host] });
  } catch (error) {
    throw error instanceof MissingPeerError ? new MissingPeerError('startExecServer') : error;
  }

  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const serverOptions = {
      requestTimeout: requestTimeoutMs,
      headersTimeout: requestTimeoutMs,
      // Node looks for expired requests only this often (30 s by default), which would stretch any timeout.
      connectionsCheckingInterval: Math.min(1_000, Math.max(50, Math.floor(requestTimeoutMs / 4))),
    };
    const started = serve({ fetch: app.fetch, port, hostname: host, serverOptions }, () => {
      started.off('error', reject);
      resolve(started);
    });
    started.once('error', reject);
  });

  if (!isLoopbackName(hostName(host))) {
    warn(
      `listening on ${host}, which is not loopback: anyone who can reach it and has the token runs commands here, and without TLS in front the token crosses the network in clear`,
    );
  }

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
