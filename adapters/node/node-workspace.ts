/**
 * A workspace over a real directory, with `bash` for `exec`. Node only.
 */
import type { Dirent, Stats } from 'node:fs';
import {
  lstat,
  mkdir,
  readdir,
  readFile,
  readlink,
  realpath,
  rm,
  rmdir,
  stat,
  unlink,
  writeFile,
} from 'node:fs/promises';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { ROOT, resolveWorkspacePath } from '../../src/tools/paths.js';
import type { ExecOptions, ExecResult, Workspace, WorkspaceEntry, WorkspaceStat } from '../../src/tools/types.js';
import { WorkspaceError } from '../../src/tools/types.js';
import { runCommand } from './node-exec.js';

export interface NodeWorkspaceOptions {
  /**
   * Follow symlinks that lead out of the root. Paths as written are still
   * confined (`../x` is always refused); this only trusts the links already
   * in the tree, such as a monorepo's linked packages. Default false.
   */
  allowOutside?: boolean;
  /** The shell `exec` runs commands with, as `<shell> -c <command>`. Default `bash`. */
  shell?: string;
  /** Output `exec` keeps (its tail), in UTF-8 bytes. Default 1 MB. */
  maxOutputBytes?: number;
  /** Variables added to (or overriding) the inherited environment of `exec`. */
  env?: Record<string, string>;
}

/** Symlinks followed while resolving one path, as Linux's own limit. */
const MAX_SYMLINK_HOPS = 40;

/**
 * The same semantics and error codes as `MemoryWorkspace`, on disk.
 *
 * Confinement is physical as well as lexical: every path is resolved through
 * its symlinks and must land inside the real root, so a link to `/etc`
 * planted in the tree is refused with `EOUTSIDE`. Operations then run on the
 * resolved path. A process racing to swap a directory for a link between the
 * check and the operation can still win; that process can run `exec` anyway,
 * so the guard is against mistakes and links, not a hostile local user.
 */
export class NodeWorkspace implements Workspace {
  readonly root: string;
  readonly #options: NodeWorkspaceOptions;
  #realRoot: Promise<string> | undefined;

  constructor(root: string, options: NodeWorkspaceOptions = {}) {
    this.root = resolve(root);
    this.#options = options;
  }

  async readFile(path: string): Promise<Uint8Array> {
    const { real, relative } = await this.#locate(path, 'follow');
    const bytes = await fsCall(relative, () => readFile(real));
    // A plain Uint8Array, not a Buffer: Buffer's slice() shares memory where callers expect a copy.
    const ownsBuffer = bytes.byteOffset === 0 && bytes.buffer.byteLength === bytes.byteLength;
    return ownsBuffer
      ? new Uint8Array(bytes.buffer, 0, bytes.byteLength)
      : new Uint8Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  }

  async writeFile(path: string, data: Uint8Array | string): Promise<void> {
    const { real, relative } = await this.#locate(path, 'follow');
    if (relative === ROOT) throw new WorkspaceError('EISDIR', `EISDIR: is a directory: ${relative}`);
    await fsCall(relative, () => writeFile(real, data));
  }

  async readdir(path: string): Promise<WorkspaceEntry[]> {
    const { real, relative } = await this.#locate(path, 'follow');
    const entries: Dirent[] = await fsCall(relative, () => readdir(real, { withFileTypes: true }));
    return entries
      .map((entry): WorkspaceEntry => ({ name: entry.name, type: entryType(entry) }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async stat(path: string): Promise<WorkspaceStat> {
    const { real, relative } = await this.#locate(path, 'follow');
    const stats: Stats = await fsCall(relative, () => stat(real));
    return stats.isDirectory()
      ? { type: 'dir', size: 0, mtimeMs: stats.mtimeMs }
      : { type: 'file', size: stats.size, mtimeMs: stats.mtimeMs };
  }

  async mkdir(path: string, options: { recursive?: boolean } = {}): Promise<void> {
    const { real, relative } = await this.#locate(path, 'follow');
    if (!options.recursive) {
      await fsCall(relative, () => mkdir(real));
      return;
    }
    try {
      await mkdir(real, { recursive: true });
    } catch (error) {
      throw toWorkspaceError(error, relative) ?? error;
    }
    // `mkdir -p` over an existing file succeeds in Node; MemoryWorkspace says EEXIST, and so does this.
    const stats = await fsCall(relative, () => stat(real));
    if (!stats.isDirectory()) throw new WorkspaceError('EEXIST', `EEXIST: already exists: ${relative}`);
  }

  async rm(path: string, options: { recursive?: boolean } = {}): Promise<void> {
    // The last segment is not followed: removing a link removes the link, never what it points to.
    const { real, relative } = await this.#locate(path, 'nofollow');
    if (relative === ROOT) throw new WorkspaceError('EINVAL', 'EINVAL: refusing to remove the workspace root');
    const stats = await fsCall(relative, () => lstat(real));
    if (!stats.isDirectory()) await fsCall(relative, () => unlink(real));
    else if (options.recursive) await fsCall(relative, () => rm(real, { recursive: true }));
    else await fsCall(relative, () => rmdir(real));
  }

  async exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    const { real, relative } = await this.#locate(options.cwd ?? ROOT, 'follow');
    const stats = await fsCall(relative, () => stat(real));
    if (!stats.isDirectory()) throw new WorkspaceError('ENOTDIR', `ENOTDIR: not a directory: ${relative}`);
    return runCommand(command, {
      cwd: real,
      shell: this.#options.shell ?? 'bash',
      extraEnv: this.#options.env,
      maxOutputBytes: this.#options.maxOutputBytes ?? 1024 * 1024,
      signal: options.signal,
      timeoutMs: options.timeoutMs,
      onOutput: options.onOutput,
    });
  }

  /** The root through its symlinks, resolved once. */
  #real(): Promise<string> {
    this.#realRoot ??= realpath(this.root).catch((error: unknown) => {
      this.#realRoot = undefined;
      throw toWorkspaceError(error, this.root) ?? error;
    });
    return this.#realRoot;
  }

  /**
   * Where `path` really is on disk, refusing it when that is outside the
   * root. `follow` resolves the last segment too, as open() would;
   * `nofollow` stops at it, as unlink() does.
   */
  async #locate(path: string, mode: 'follow' | 'nofollow'): Promise<{ real: string; relative: string }> {
    const relative = resolveWorkspacePath(this.root, path);
    const realRoot = await this.#real();
    const lexical = relative === ROOT ? realRoot : join(realRoot, relative);
    let real: string;
    try {
      real =
        mode === 'follow' || relative === ROOT
          ? await physicalPath(lexical)
          : join(await physicalPath(dirname(lexical)), basename(lexical));
    } catch (error) {
      throw toWorkspaceError(error, relative) ?? error;
    }
    if (!this.#options.allowOutside && !isInside(realRoot, real)) {
      throw new WorkspaceError(
        'EOUTSIDE',
        `Path ${JSON.stringify(path)} leads outside the workspace root ${this.root} through a symlink`,
      );
    }
    return { real, relative };
  }
}

/**
 * The physical path `path` names, following every symlink, including a last
 * segment that does not exist yet or a link whose target does not: that is
 * where a write would land.
 */
async function physicalPath(path: string, hops = 0): Promise<string> {
  try {
    return await realpath(path);
  } catch (error) {
    if (errorCode(error) !== 'ENOENT') throw error;
  }
  let link: Stats;
  try {
    link = await lstat(path);
  } catch (error) {
    if (errorCode(error) !== 'ENOENT') throw error;
    const parent = dirname(path);
    if (parent === path) return path;
    return join(await physicalPath(parent, hops), basename(path));
  }
  if (!link.isSymbolicLink()) return path;
  if (hops >= MAX_SYMLINK_HOPS) throw Object.assign(new Error(`ELOOP: too many symlinks: ${path}`), { code: 'ELOOP' });
  // A dangling link: its target is relative to the link's real directory, which exists.
  const target = resolve(await realpath(dirname(path)), await readlink(path));
  return physicalPath(target, hops + 1);
}

function isInside(root: string, path: string): boolean {
  if (path === root) return true;
  return path.startsWith(root.endsWith(sep) ? root : `${root}${sep}`);
}

function entryType(entry: Dirent): WorkspaceEntry['type'] {
  if (entry.isSymbolicLink()) return 'symlink';
  return entry.isDirectory() ? 'dir' : 'file';
}

async function fsCall<T>(relative: string, operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    throw toWorkspaceError(error, relative) ?? error;
  }
}

const MESSAGES = {
  ENOENT: 'no such file or directory',
  EISDIR: 'is a directory',
  ENOTDIR: 'not a directory',
  EEXIST: 'already exists',
  ENOTEMPTY: 'directory not empty',
  EACCES: 'permission denied',
  EINVAL: 'invalid path',
} as const;

/** Node's error as the workspace's, or `undefined` for failures with no workspace meaning. */
function toWorkspaceError(error: unknown, relative: string): WorkspaceError | undefined {
  const code = mapCode(errorCode(error));
  return code ? new WorkspaceError(code, `${code}: ${MESSAGES[code]}: ${relative}`) : undefined;
}

function mapCode(code: string | undefined): keyof typeof MESSAGES | undefined {
  switch (code) {
    case 'ENOENT':
    case 'EISDIR':
    case 'ENOTDIR':
    case 'EEXIST':
    case 'ENOTEMPTY':
    case 'EACCES':
      return code;
    case 'EPERM':
      return 'EACCES';
    case 'ERR_FS_EISDIR':
      return 'EISDIR';
    case 'ELOOP':
    case 'ENAMETOOLONG':
      return 'EINVAL';
    default:
      return undefined;
  }
}

function errorCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string'
    ? error.code
    : undefined;
}
