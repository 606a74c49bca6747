/**
 * A persistent workspace in the browser: files live in IndexedDB through
 * `@isomorphic-git/lightning-fs`, so they survive reloads and can be shared
 * with isomorphic-git. There is no shell, so `createCodingTools` leaves
 * `bash` out.
 */
import FS from '@isomorphic-git/lightning-fs';
import { checkRange, sliceRange } from '../../src/tools/file-range.js';
import type { GrepMatcher } from '../../src/tools/grep-matcher.js';
import { normaliseRoot, ROOT, resolveWorkspacePath } from '../../src/tools/paths.js';
import type { Workspace, WorkspaceEntry, WorkspaceEntryType, WorkspaceStat } from '../../src/tools/types.js';
import { WorkspaceError } from '../../src/tools/types.js';
import { sharedBrowserGrepMatcher } from './grep-worker.js';

export interface LightningFsWorkspaceOptions {
  /** The absolute root shown to the model. Default `/workspace`. */
  root?: string;
  /**
   * Start from an empty filesystem, deleting what the database held. It
   * takes the database from any instance (or tab) still using it, whose
   * next operations then fail.
   */
  wipe?: boolean;
  /**
   * A LightningFS instance to use as it is, such as the one isomorphic-git
   * already works on. The workspace's name and `wipe` are then ignored.
   */
  fs?: FS;
  /**
   * Where `grep` runs its regex. Default: Web Workers shared by every
   * `LightningFsWorkspace`, started on the first search, which an abort or a
   * per-file budget can kill (see `createBrowserGrepMatcher`).
   */
  grepMatcher?: GrepMatcher;
}

/** Symlinks followed while resolving one path, as Linux's own limit. */
const MAX_SYMLINK_HOPS = 40;

const encoder = new TextEncoder();

/** A path inside the filesystem with no symlink left in it but, maybe, the last segment. */
interface Located {
  /** Root-relative, `.` for the root. */
  path: string;
  /** `undefined` when nothing is there yet. */
  stat: FS.Stats | undefined;
}

/**
 * The same semantics and error codes as `MemoryWorkspace`, persisted. The
 * whole LightningFS filesystem is the workspace: the root-relative path
 * `src/a.ts` is `/src/a.ts` inside it.
 *
 * Symlinks (which isomorphic-git may check out) are listed as `symlink` and
 * resolved here, one segment at a time, never by LightningFS: a target is
 * read as a workspace path (relative to the link, or absolute under the
 * display root), so a link that leads out of the root is refused with
 * `EOUTSIDE` instead of silently landing somewhere else.
 *
 * Every change is flushed to IndexedDB before its promise resolves, so a
 * write the agent reported survives a reload that follows at once.
 */
export class LightningFsWorkspace implements Workspace {
  readonly root: string;
  /** The underlying filesystem, to hand to isomorphic-git or similar. */
  readonly fs: FS;
  readonly #fs: FS.PromisifiedFS;
  /** The file `readFileRange` last loaded whole; dropped by any change made here. */
  #lastWhole: { path: string; mtimeMs: number; size: number; bytes: Uint8Array } | undefined;
  readonly #grepMatcher: GrepMatcher | undefined;

  constructor(name: string, options: LightningFsWorkspaceOptions = {}) {
    this.root = normaliseRoot(options.root ?? '/workspace');
    this.fs = options.fs ?? new FS(name, { wipe: options.wipe ?? false });
    this.#fs = this.fs.promises;
    this.#grepMatcher = options.grepMatcher;
  }

  /** A getter, so no worker is made until a `grep` tool asks for one. */
  get grepMatcher(): GrepMatcher {
    return this.#grepMatcher ?? sharedBrowserGrepMatcher();
  }

  async readFile(path: string): Promise<Uint8Array> {
    const relative = this.#resolve(path);
    const { path: real, stat } = await this.#locate(relative, true);
    if (!stat) throw workspaceError('ENOENT', relative);
    if (stat.type === 'dir') throw workspaceError('EISDIR', relative);
    const data: unknown = await this.#call(relative, () => this.#fs.readFile(internal(real)));
    // LightningFS returns undefined when a file's bytes are missing from the database.
    if (!(data instanceof Uint8Array)) throw workspaceError('ENOENT', relative);
    // A fresh view: LightningFS pins its own toString on the array it returns.
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  }

  /**
   * LightningFS stores a file as one IndexedDB value and cannot read part of
   * it, so this reads the whole file and slices it: it bounds what a caller
   * keeps, not what is loaded. The last file so read is kept until another
   * is, or it changes, so paging through a file chunk by chunk loads it once.
   */
  async readFileRange(path: string, offset: number, length: number): Promise<Uint8Array> {
    const relative = this.#resolve(path);
    checkRange(offset, length, relative);
    const { path: real, stat } = await this.#locate(relative, true);
    if (!stat) throw workspaceError('ENOENT', relative);
    if (stat.type === 'dir') throw workspaceError('EISDIR', relative);
    let kept = this.#lastWhole;
    if (!kept || kept.path !== real || kept.mtimeMs !== stat.mtimeMs || kept.size !== stat.size) {
      this.#lastWhole = undefined;
      kept = { path: real, mtimeMs: stat.mtimeMs, size: stat.size, bytes: await this.readFile(relative) };
      this.#lastWhole = kept;
    }
    return sliceRange(kept.bytes, offset, length);
  }

  async writeFile(path: string, data: Uint8Array | string): Promise<void> {
    // Copied before the first await, so a caller changing its array while the write is queued changes nothing stored.
    const bytes = typeof data === 'string' ? encoder.encode(data) : data.slice();
    const relative = this.#resolve(path);
    if (relative === ROOT) throw workspaceError('EISDIR', relative);
    const { path: real, stat } = await this.#locate(relative, true);
    if (stat?.type === 'dir') throw workspaceError('EISDIR', relative);
    this.#lastWhole = undefined;
    await this.#call(relative, () => this.#fs.writeFile(internal(real), bytes));
    await this.#flush();
  }

  async readdir(path: string): Promise<WorkspaceEntry[]> {
    const relative = this.#resolve(path);
    const real = await this.#locateDir(relative);
    const names = await this.#call(relative, () => this.#fs.readdir(internal(real)));
    const entries = await Promise.all(
      names.map(async (name): Promise<WorkspaceEntry> => {
        const stat = await this.#call(relative, () => this.#fs.lstat(internal(join(real, name))));
        return { name, type: entryType(stat) };
      }),
    );
    return entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async stat(path: string): Promise<WorkspaceStat> {
    const relative = this.#resolve(path);
    const { stat } = await this.#locate(relative, true);
    if (!stat) throw workspaceError('ENOENT', relative);
    return stat.type === 'dir'
      ? { type: 'dir', size: 0, mtimeMs: stat.mtimeMs }
      : { type: 'file', size: stat.size, mtimeMs: stat.mtimeMs };
  }

  async mkdir(path: string, options: { recursive?: boolean } = {}): Promise<void> {
    const relative = this.#resolve(path);
    if (options.recursive) {
      await this.#makeDirs(relative);
    } else {
      if (relative === ROOT) throw workspaceError('EEXIST', relative);
      // Not followed: as mkdir(2), an existing link is EEXIST whatever it points to.
      const { path: real, stat } = await this.#locate(relative, false);
      if (stat) throw workspaceError('EEXIST', relative);
      await this.#call(relative, () => this.#fs.mkdir(internal(real)));
    }
    await this.#flush();
  }

  async rm(path: string, options: { recursive?: boolean } = {}): Promise<void> {
    const relative = this.#resolve(path);
    if (relative === ROOT) throw new WorkspaceError('EINVAL', 'EINVAL: refusing to remove the workspace root');
    // The last segment is not followed: removing a link removes the link, never what it points to.
    const { path: real, stat } = await this.#locate(relative, false);
    if (!stat) throw workspaceError('ENOENT', relative);
    this.#lastWhole = undefined;
    if (stat.type !== 'dir') {
      await this.#call(relative, () => this.#fs.unlink(internal(real)));
    } else {
      const names = await this.#call(relative, () => this.#fs.readdir(internal(real)));
      if (names.length > 0 && !options.recursive) throw workspaceError('ENOTEMPTY', relative);
      await this.#removeTree(relative, real, names);
    }
    await this.#flush();
  }

  #resolve(path: string): string {
    return resolveWorkspacePath(this.root, path);
  }

  /**
   * Walks `relative` segment by segment, resolving symlinks on the way:
   * every one in the middle, and the last one too when `followLast` is set.
   * A missing last segment is not an error (that is where a write lands); a
   * missing or non-directory segment before it is.
   */
  async #locate(relative: string, followLast: boolean): Promise<Located> {
    const pending = segmentsOf(relative);
    let resolved: string[] = [];
    let stat: FS.Stats | undefined;
    let hops = 0;
    while (pending.length > 0) {
      const name = pending.shift() as string;
      const isLast = pending.length === 0;
      const candidate = [...resolved, name];
      const found = await this.#lstatIfExists(relative, candidate);
      if (!found) {
        if (isLast) return { path: joinSegments(candidate), stat: undefined };
        throw workspaceError('ENOENT', relative);
      }
      if (found.isSymbolicLink() && (!isLast || followLast)) {
        if (++hops > MAX_SYMLINK_HOPS) {
          throw new WorkspaceError('EINVAL', `EINVAL: too many symlinks: ${relative}`);
        }
        const target = await this.#call(relative, () => this.#fs.readlink(internal(joinSegments(candidate))));
        pending.unshift(...segmentsOf(this.#linkTarget(relative, resolved, target)));
        resolved = [];
        stat = undefined;
        continue;
      }
      if (!isLast && found.type !== 'dir') throw workspaceError('ENOTDIR', relative);
      resolved = candidate;
      stat = found;
    }
    // Only the root (named, or reached through a link) leaves `stat` unset.
    stat ??= await this.#call(relative, () => this.#fs.lstat('/'));
    return { path: joinSegments(resolved), stat };
  }

  async #locateDir(relative: string): Promise<string> {
    const { path, stat } = await this.#locate(relative, true);
    if (!stat) throw workspaceError('ENOENT', relative);
    if (stat.type !== 'dir') throw workspaceError('ENOTDIR', relative);
    return path;
  }

  /** Where a link's target points, as a root-relative path; outside the root is refused. */
  #linkTarget(relative: string, linkDir: string[], target: string): string {
    try {
      return target.startsWith('/')
        ? resolveWorkspacePath(this.root, target)
        : resolveWorkspacePath(this.root, [...linkDir, target].join('/'));
    } catch (error) {
      if (error instanceof WorkspaceError && error.code === 'EOUTSIDE') {
        throw new WorkspaceError(
          'EOUTSIDE',
          `Path ${JSON.stringify(relative)} leads outside the workspace root ${this.root} through a symlink`,
        );
      }
      throw error;
    }
  }

  async #lstatIfExists(relative: string, segments: string[]): Promise<FS.Stats | undefined> {
    try {
      return await this.#fs.lstat(internal(joinSegments(segments)));
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return undefined;
      throw toWorkspaceError(error, relative) ?? error;
    }
  }

  async #makeDirs(relative: string): Promise<void> {
    const segments = segmentsOf(relative);
    for (let index = 0; index < segments.length; index++) {
      const prefix = joinSegments(segments.slice(0, index + 1));
      const { path: real, stat } = await this.#locate(prefix, true);
      if (stat?.type === 'dir') continue;
      // As with `mkdir -p`: a file in the middle of the path is ENOTDIR, a file at its end is EEXIST.
      if (stat) throw workspaceError(index === segments.length - 1 ? 'EEXIST' : 'ENOTDIR', prefix);
      await this.#call(prefix, () => this.#fs.mkdir(internal(real)));
    }
  }

  /** Removes a directory and, depth first, what it holds, without following links. */
  async #removeTree(relative: string, real: string, names: string[]): Promise<void> {
    for (const name of names) {
      const child = join(real, name);
      const stat = await this.#call(relative, () => this.#fs.lstat(internal(child)));
      if (stat.type === 'dir') {
        const inner = await this.#call(relative, () => this.#fs.readdir(internal(child)));
        await this.#removeTree(relative, child, inner);
      } else {
        await this.#call(relative, () => this.#fs.unlink(internal(child)));
      }
    }
    await this.#call(relative, () => this.#fs.rmdir(internal(real)));
  }

  /** LightningFS saves its directory tree only after 500 ms of quiet; a reload before that would lose the change. */
  async #flush(): Promise<void> {
    await this.#fs.flush();
  }

  async #call<T>(relative: string, operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      throw toWorkspaceError(error, relative) ?? error;
    }
  }
}

/** The LightningFS path of a root-relative path. */
function internal(relative: string): string {
  return relative === ROOT ? '/' : `/${relative}`;
}

function segmentsOf(relative: string): string[] {
  return relative === ROOT ? [] : relative.split('/');
}

function joinSegments(segments: string[]): string {
  return segments.length === 0 ? ROOT : segments.join('/');
}

function join(dir: string, name: string): string {
  return dir === ROOT ? name : `${dir}/${name}`;
}

function entryType(stat: FS.Stats): WorkspaceEntryType {
  if (stat.type === 'dir') return 'dir';
  return stat.isSymbolicLink() ? 'symlink' : 'file';
}

const MESSAGES = {
  ENOENT: 'no such file or directory',
  EISDIR: 'is a directory',
  ENOTDIR: 'not a directory',
  EEXIST: 'already exists',
  ENOTEMPTY: 'directory not empty',
} as const;

type MappedCode = keyof typeof MESSAGES;

function workspaceError(code: MappedCode, relative: string): WorkspaceError {
  return new WorkspaceError(code, `${code}: ${MESSAGES[code]}: ${relative}`);
}

function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  return typeof error.code === 'string' ? error.code : undefined;
}

/** LightningFS's error as the workspace's, or `undefined` for failures with no workspace meaning. */
function toWorkspaceError(error: unknown, relative: string): WorkspaceError | undefined {
  if (error instanceof WorkspaceError) return error;
  const code = errorCode(error);
  return isMappedCode(code) ? workspaceError(code, relative) : undefined;
}

function isMappedCode(code: string | undefined): code is MappedCode {
  return code !== undefined && Object.hasOwn(MESSAGES, code);
}
