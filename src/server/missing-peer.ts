/**
 * hono and @hono/node-server are optional peers: only serving needs them.
 * Without them, `qcore/server` still loads and its functions fail with one
 * line that says what to install, instead of `ERR_MODULE_NOT_FOUND`.
 */

/** Both, always: installing the pair is the fix whichever one is missing. */
export const SERVER_PEERS = ['hono', '@hono/node-server'] as const;

export class MissingPeerError extends Error {
  readonly code = 'EPEER';
  constructor(
    /** What needs the packages, such as `startExecServer`. */
    readonly feature: string,
    readonly packages: readonly string[] = SERVER_PEERS,
  ) {
    super(`${feature} needs ${packages.join(' and ')}: npm install ${packages.join(' ')}`);
    this.name = 'MissingPeerError';
  }
}

/** True when `error` says that `name` itself could not be found, not some module inside it. */
export function isMissingPackage(error: unknown, name: string): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  return (
    (code === 'ERR_MODULE_NOT_FOUND' || /cannot find (package|module)/i.test(error.message)) &&
    (error.message.includes(`'${name}'`) || error.message.includes(`"${name}"`))
  );
}
