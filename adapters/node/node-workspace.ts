/**
 * A workspace over a real directory, with `bash` for `exec`. Node only.
 */
import type { Dirent, Stats } from 'node:fs';
import {
  type FileHandle,
  lstat,
  mkdir,
  open,
  readdir,
  readlink,
  realpath,
  rm,
  rmdir,
  stat,
  unlink,
} from 'node:fs/promises';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { checkRange } from '../../src/tools/file-range.js';
import type { GrepMatcher } from '../../src/tools/grep-matcher.js';
import { ROOT, resolveWorkspacePath } from '../../src/tools/paths.js';
import { workspaceErrorCode } from '../../src/tools/tool-errors.js';
import type { ExecOptions, ExecResult, Workspace, WorkspaceEntry, WorkspaceStat } from '../../src/tools/types.js';
import { WorkspaceError } from '../../src/tools/types.js';
import {
  canTrackDescriptors,
  descriptorPath,
  isInside,
  OPEN_DIRECTORY,
  OPEN_READ,
  OPEN_WRITE,
  openedPath,
  specialKind,
} from './descriptors.js';
import { sharedNodeGrepMatcher } from './grep-worker.js';
import { runCommand } from './node-exec.js';
import type { SandboxOptions } from './sandbox.js';

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
  /**
   * Variables added to (or overriding) the environment of `exec`, applied after
   * secrets are filtered out of the inherited one (see `inheritedEnvironment`).
   */
  env?: Record<string, string>;
  /**
   * Where `grep` runs its regex. Default: worker threads shared by every
   * `NodeWorkspace`, started on the first search, which an abort or a
   * per-file budget can kill (see `createNodeGrepMatcher`).
   */
  grepMatcher?: GrepMatcher;
  /**
   * Run every `exec` inside bubblewrap (Linux): the filesystem read-only but
   * for the root and a private `/tmp`, `hide` paths covered, the network off
   * unless `network`. Check it works first with `checkSandbox`; a missing
   * bwrap makes `exec` fail, never run unsandboxed. See `sandbox.ts`.
   */
  sandbox?: SandboxOptions;
}

type AfterCheckHook = (real: string) => Promise<void> | void;

const afterCheckHooks = new WeakMap<NodeWorkspace, AfterCheckHook>();

/**
 * Test seam, not exported from `qcore/node`: `hook` runs after a path has
 * been checked and before it is opened, so a test can swap a directory for
 * a symlink in between without racing the workspace.
 */
export function setAfterCheckHook(workspace: NodeWorkspace, hook: AfterCheckHook | undefined): void {
  if (hook) afterCheckHooks.set(workspace, hook);
  else afterCheckHooks.delete(workspace);
}

/** Symlinks followed while resolving one path, as Linux's own limit. */
const MAX_SYMLINK_HOPS = 40;

/**
 * The same semantics and error codes as `MemoryWorkspace`, on disk.
 *
 * Confinement is physical as well as lexical: every path is resolved through
 * its symlinks and must land inside the real root, so a link to `/etc`
 * planted in the tree is refused with `EOUTSIDE`.
 *
 * The check is then made again on what is opened, so a directory swapped
 * for a symlink between the check and the use cannot redirect it. On Linux
 * each operation opens the parent directory (`O_NOFOLLOW`), confirms through
 * `/proc/self/fd` that the descriptor is inside the root, and reaches the
 * last segment through that descriptor; files are opened `O_NOFOLLOW`. On
 * other platforms only the path check and `O_NOFOLLOW` on the last segment
 * remain, so a process able to swap directories in the tree can still win
 * that race. Hard links to outside files are not detected anywhere.
 *
 * Only regular files are read or written: files are opened `O_NONBLOCK` and
 * refused by `fstat` when they are FIFOs, sockets or devices, which `stat`
 * and `readdir` report as `special`.
 */
export class NodeWorkspace implements Workspace {
  readonly root: string;
  readonly #options: NodeWorkspaceOptions;
  #realRoot: Promise<string> | undefined;

  constructor(root: string, options: NodeWorkspaceOptions = {}) {
    this.root = resolve(root);
    this.#options = options;
  }

  /** A getter, so no matcher is made until a `grep` tool asks for one. */
  get grepMatcher(): GrepMatcher {
    return this.#options.grepMatcher ?? sharedNodeGrepMatcher();
  }

  async readFile(path: string): Promise<Uint8Array> {
    const { handle } = await this.#openFile(path);
    try {
      return plainBytes(await handle.readFile());
    } finally {
      await handle.close();
    }
  }

  /** Reads only the range from disk: a page of a sparse 2 GB file costs a page of memory. */
  async readFileRange(path: string, offset: number, length: number): Promise<Uint8Array> {
    checkRange(offset, length, resolveWorkspacePath(this.root, path));
    const { handle, size } = await this.#openFile(path);
    try {
      const wanted = Math.max(0, Math.min(length, size - offset));
      const bytes = new Uint8Array(wanted);
      let got = 0;
      while (got < wanted) {
        const { bytesRead } = await handle.read(bytes, got, wanted - got, offset + got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      return got === wanted ? bytes : bytes.slice(0, got);
    } finally {
      await handle.close();
    }
  }

  async writeFile(path: string, data: Uint8Array | string): Promise<void> {
    const { real, relative } = await this.#locate(path, 'follow');
    if (relative === ROOT || real === (await this.#real())) {
      throw new WorkspaceError('EISDIR', `EISDIR: is a directory: ${relative}`);
    }
    await this.#inParent(real, relative, async (target) => {
      const handle = await openChecked(target, OPEN_WRITE, relative);
      try {
        const stats = await fsCall(relative, () => handle.stat());
        refuseUnlessFile(stats, relative);
        await fsCall(relative, () => handle.truncate(0));
        await fsCall(relative, () => handle.writeFile(data));
      } finally {
        await handle.close();
      }
    });
  }

  async readdir(path: string): Promise<WorkspaceEntry[]> {
    const { real, relative } = await this.#locate(path, 'follow');
    const realRoot = await this.#real();
    const list = async (target: string): Promise<Dirent[]> => {
      if (!canTrackDescriptors()) return fsCall(relative, () => readdir(target, { withFileTypes: true }));
      const handle = await openChecked(target, OPEN_DIRECTORY, relative);
      try {
        await this.#confirm(handle.fd, path, realRoot);
        const opened = descriptorPath(handle.fd) ?? target;
        return await fsCall(relative, () => readdir(opened, { withFileTypes: true }));
      } finally {
        await handle.close();
      }
    };
    const entries = real === realRoot ? await list(real) : await this.#inParent(real, relative, list);
    return entries
      .map((entry): WorkspaceEntry => ({ name: entry.name, type: entryType(entry) }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async stat(path: string): Promise<WorkspaceStat> {
    const { real, relative } = await this.#locate(path, 'follow');
    const stats =
      real === (await this.#real())
        ? await fsCall(relative, () => stat(real))
        : await this.#inParent(real, relative, (target) => fsCall(relative, () => lstat(target)));
    // The check resolved every link; one here was swapped in since.
    if (stats.isSymbolicLink()) throw changedUnderfoot(relative);
    if (stats.isDirectory()) return { type: 'dir', size: 0, mtimeMs: stats.mtimeMs };
    if (stats.isFile()) return { type: 'file', size: stats.size, mtimeMs: stats.mtimeMs };
    return { type: 'special', size: 0, mtimeMs: stats.mtimeMs };
  }

  async mkdir(path: string, options: { recursive?: boolean } = {}): Promise<void> {
    const { real, relative } = await this.#locate(path, 'follow');
    const realRoot = await this.#real();
    const exists = () => new WorkspaceError('EEXIST', `EEXIST: already exists: ${relative}`);
    if (!options.recursive) {
      if (real === realRoot) throw exists();
      await this.#inParent(real, relative, (target) => fsCall(relative, () => mkdir(target)));
      return;
    }
    if (!isInside(realRoot, real)) {
      // Only with allowOutside, whose links are trusted: no descriptor to check against.
      await fsCall(relative, () => mkdir(real, { recursive: true }));
    } else {
      // One level at a time, each made through its checked parent, so no level can land outside.
      let current = realRoot;
      for (const segment of segmentsBelow(realRoot, real)) {
        current = join(current, segment);
        try {
          await this.#inParent(current, relative, (target) => fsCall(relative, () => mkdir(target)));
        } catch (error) {
          if (workspaceErrorCode(error) !== 'EEXIST') throw error;
        }
      }
    }
    // `mkdir -p` over an existing file succeeds in Node; MemoryWorkspace says EEXIST, and so does this.
    if ((await this.stat(relative)).type !== 'dir') throw exists();
  }

  async rm(path: string, options: { recursive?: boolean } = {}): Promise<void> {
    // The last segment is not followed: removing a link removes the link, never what it points to.
    const { real, relative } = await this.#locate(path, 'nofollow');
    if (relative === ROOT || real === (await this.#real())) {
      throw new WorkspaceError('EINVAL', 'EINVAL: refusing to remove the workspace root');
    }
    await this.#inParent(real, relative, async (target) => {
      const stats = await fsCall(relative, () => lstat(target));
      if (!stats.isDirectory()) await fsCall(relative, () => unlink(target));
      else if (options.recursive) await fsCall(relative, () => rm(target, { recursive: true }));
      else await fsCall(relative, () => rmdir(target));
    });
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
      ...(this.#options.sandbox ? { sandbox: { ...this.#options.sandbox, root: await this.#real() } } : {}),
    });
  }

  /**
   * Opens the regular file at `path` for reading, refusing a directory, a
   * FIFO, a socket or a device by what the descriptor is, not the name.
   */
  async #openFile(path: string): Promise<{ handle: FileHandle; size: number }> {
    const { real, relative } = await this.#locate(path, 'follow');
    if (relative === ROOT || real === (await this.#real())) {
      throw new WorkspaceError('EISDIR', `EISDIR: is a directory: ${relative}`);
    }
    return this.#inParent(real, relative, async (target) => {
      const handle = await openChecked(target, OPEN_READ, relative);
      try {
        const stats = await fsCall(relative, () => handle.stat());
        refuseUnlessFile(stats, relative);
        return { handle, size: stats.size };
      } catch (error) {
        await handle.close();
        throw error;
      }
    });
  }

  /**
   * Runs `use` on the checked location `real` by way of its parent
   * directory's descriptor: the parent is opened (a symlink swapped in for
   * it is refused), confirmed to be inside the root, and `use` gets
   * `/proc/self/fd/<dirfd>/<name>`, which resolves from that directory
   * whatever happens to the path meanwhile. Without `/proc/self/fd`, `use`
   * gets `real` and the path check already made is all there is.
   */
  async #inParent<T>(real: string, relative: string, use: (target: string) => Promise<T>): Promise<T> {
    if (!canTrackDescriptors()) return use(real);
    const realRoot = await this.#real();
    const parent = await openChecked(dirname(real), OPEN_DIRECTORY, relative);
    try {
      await this.#confirm(parent.fd, relative, realRoot);
      return await use(`${descriptorPath(parent.fd)}/${basename(real)}`);
    } finally {
      await parent.close();
    }
  }

  /** Refuses an open descriptor that is not inside the root, unless links out are trusted. */
  async #confirm(fd: number, path: string, realRoot: string): Promise<void> {
    if (this.#options.allowOutside) return;
    const opened = await openedPath(fd);
    if (opened !== undefined && !isInside(realRoot, opened)) {
      throw new WorkspaceError(
        'EOUTSIDE',
        `Path ${JSON.stringify(path)} leads outside the workspace root ${this.root}: a symlink was swapped in while it was being opened`,
      );
    }
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
    await afterCheckHooks.get(this)?.(real);
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

function entryType(entry: Dirent): WorkspaceEntry['type'] {
  if (entry.isSymbolicLink()) return 'symlink';
  if (entry.isDirectory()) return 'dir';
  return entry.isFile() ? 'file' : 'special';
}

/** The path segments of `real` below `root`, which holds it. */
function segmentsBelow(root: string, real: string): string[] {
  if (real === root) return [];
  return real.slice(root.endsWith(sep) ? root.length : root.length + 1).split(sep);
}

/** A plain Uint8Array, not a Buffer: Buffer's slice() shares memory where callers expect a copy. */
function plainBytes(bytes: Buffer): Uint8Array {
  const ownsBuffer = bytes.byteOffset === 0 && bytes.buffer.byteLength === bytes.byteLength;
  return ownsBuffer
    ? new Uint8Array(bytes.buffer, 0, bytes.byteLength)
    : new Uint8Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

/**
 * `open()` with the workspace's errors. `ELOOP` here (or `ENOTDIR`, with
 * `O_DIRECTORY`) is `O_NOFOLLOW` meeting a symlink where the check found
 * none; `ENXIO` is a socket, or a FIFO with no reader opened for writing.
 */
async function openChecked(target: string, flags: number, relative: string): Promise<FileHandle> {
  try {
    return await open(target, flags, 0o666);
  } catch (error) {
    const code = errorCode(error);
    if (code === 'ELOOP') throw changedUnderfoot(relative);
    if (code === 'ENOTDIR' && (await lstat(target).catch(() => undefined))?.isSymbolicLink()) {
      throw changedUnderfoot(relative);
    }
    if (code === 'ENXIO') {
      const stats = await lstat(target).catch(() => undefined);
      throw notRegular((stats && specialKind(stats)) ?? 'a special file', relative);
    }
    throw toWorkspaceError(error, relative) ?? error;
  }
}

function refuseUnlessFile(stats: Stats, relative: string): void {
  if (stats.isDirectory()) throw new WorkspaceError('EISDIR', `EISDIR: is a directory: ${relative}`);
  const kind = specialKind(stats);
  if (kind) throw notRegular(kind, relative);
}

/** Opening a FIFO blocks until a writer comes, and a device may never end: neither is a file to read or write. */
function notRegular(kind: string, relative: string): WorkspaceError {
  return new WorkspaceError('EINVAL', `EINVAL: not a regular file (${kind}): ${relative}`);
}

function changedUnderfoot(relative: string): WorkspaceError {
  return new WorkspaceError('EINVAL', `EINVAL: ${relative} became a symlink while it was being opened; try again`);
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
