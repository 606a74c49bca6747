/**
 * A workspace held in memory: for tests, browsers without storage, and
 * sandboxes that only need files. It has no symlinks and no shell unless one
 * is passed in.
 */
import { checkRange, sliceRange } from './file-range.js';
import { basename, dirname, normaliseRoot, ROOT, resolveWorkspacePath } from './paths.js';
import type { ExecOptions, ExecResult, Workspace, WorkspaceEntry, WorkspaceStat } from './types.js';
import { WorkspaceError } from './types.js';

export interface MemoryWorkspaceOptions {
  /** The absolute root shown to the model. Default `/workspace`. */
  root?: string;
  /** A shell to expose as `exec`, for tests or custom sandboxes. */
  exec?: (command: string, options: ExecOptions) => Promise<ExecResult>;
}

interface MemoryFile {
  kind: 'file';
  data: Uint8Array;
  mtimeMs: number;
}

interface MemoryDir {
  kind: 'dir';
  children: Map<string, MemoryNode>;
  mtimeMs: number;
}

type MemoryNode = MemoryFile | MemoryDir;

const encoder = new TextEncoder();

/**
 * POSIX-like semantics with `WorkspaceError` codes. `writeFile` does not
 * create parent directories. `rm` without `recursive` removes a file or an
 * empty directory and refuses a non-empty one with `ENOTEMPTY`. The root
 * cannot be removed.
 */
export class MemoryWorkspace implements Workspace {
  readonly root: string;
  declare readonly exec?: (command: string, options: ExecOptions) => Promise<ExecResult>;
  readonly #tree: MemoryDir;
  #lastMtime = 0;

  constructor(files: Record<string, string | Uint8Array> = {}, options: MemoryWorkspaceOptions = {}) {
    this.root = normaliseRoot(options.root ?? '/workspace');
    if (options.exec) this.exec = options.exec;
    this.#tree = { kind: 'dir', children: new Map(), mtimeMs: this.#now() };
    for (const [path, data] of Object.entries(files)) {
      const relative = this.#resolve(path);
      this.#makeDirs(dirname(relative));
      this.#write(relative, data);
    }
  }

  async readFile(path: string): Promise<Uint8Array> {
    const relative = this.#resolve(path);
    const node = this.#lookup(relative);
    if (node.kind === 'dir') throw new WorkspaceError('EISDIR', `EISDIR: is a directory: ${relative}`);
    return node.data.slice();
  }

  async readFileRange(path: string, offset: number, length: number): Promise<Uint8Array> {
    const relative = this.#resolve(path);
    checkRange(offset, length, relative);
    const node = this.#lookup(relative);
    if (node.kind === 'dir') throw new WorkspaceError('EISDIR', `EISDIR: is a directory: ${relative}`);
    return sliceRange(node.data, offset, length);
  }

  async writeFile(path: string, data: Uint8Array | string): Promise<void> {
    this.#write(this.#resolve(path), data);
  }

  async readdir(path: string): Promise<WorkspaceEntry[]> {
    const relative = this.#resolve(path);
    const dir = this.#lookupDir(relative);
    return [...dir.children.entries()]
      .map(([name, node]): WorkspaceEntry => ({ name, type: node.kind }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async stat(path: string): Promise<WorkspaceStat> {
    const node = this.#lookup(this.#resolve(path));
    return node.kind === 'file'
      ? { type: 'file', size: node.data.byteLength, mtimeMs: node.mtimeMs }
      : { type: 'dir', size: 0, mtimeMs: node.mtimeMs };
  }

  async mkdir(path: string, options: { recursive?: boolean } = {}): Promise<void> {
    const relative = this.#resolve(path);
    if (options.recursive) {
      this.#makeDirs(relative);
      return;
    }
    if (relative === ROOT) throw new WorkspaceError('EEXIST', `EEXIST: already exists: ${relative}`);
    const parent = this.#lookupDir(dirname(relative));
    const name = basename(relative);
    if (parent.children.has(name)) throw new WorkspaceError('EEXIST', `EEXIST: already exists: ${relative}`);
    this.#addChild(parent, name, { kind: 'dir', children: new Map(), mtimeMs: this.#now() });
  }

  async rm(path: string, options: { recursive?: boolean } = {}): Promise<void> {
    const relative = this.#resolve(path);
    if (relative === ROOT) throw new WorkspaceError('EINVAL', 'EINVAL: refusing to remove the workspace root');
    const parent = this.#lookupDir(dirname(relative));
    const name = basename(relative);
    const node = parent.children.get(name);
    if (!node) throw new WorkspaceError('ENOENT', `ENOENT: no such file or directory: ${relative}`);
    if (node.kind === 'dir' && node.children.size > 0 && !options.recursive) {
      throw new WorkspaceError('ENOTEMPTY', `ENOTEMPTY: directory not empty: ${relative}`);
    }
    parent.children.delete(name);
    parent.mtimeMs = this.#now();
  }

  #resolve(path: string): string {
    return resolveWorkspacePath(this.root, path);
  }

  #lookup(relative: string): MemoryNode {
    if (relative === ROOT) return this.#tree;
    let node: MemoryNode = this.#tree;
    const segments = relative.split('/');
    for (const [index, segment] of segments.entries()) {
      if (node.kind !== 'dir') {
        throw new WorkspaceError('ENOTDIR', `ENOTDIR: not a directory: ${segments.slice(0, index).join('/')}`);
      }
      const child: MemoryNode | undefined = node.children.get(segment);
      if (!child) throw new WorkspaceError('ENOENT', `ENOENT: no such file or directory: ${relative}`);
      node = child;
    }
    return node;
  }

  #lookupDir(relative: string): MemoryDir {
    const node = this.#lookup(relative);
    if (node.kind !== 'dir') throw new WorkspaceError('ENOTDIR', `ENOTDIR: not a directory: ${relative}`);
    return node;
  }

  #makeDirs(relative: string): void {
    if (relative === ROOT) return;
    let dir = this.#tree;
    const segments = relative.split('/');
    for (const [index, segment] of segments.entries()) {
      const child = dir.children.get(segment);
      if (child?.kind === 'dir') {
        dir = child;
        continue;
      }
      if (child) {
        const at = segments.slice(0, index + 1).join('/');
        // As with `mkdir -p`: a file in the middle of the path is ENOTDIR, a file at its end is EEXIST.
        if (index === segments.length - 1) throw new WorkspaceError('EEXIST', `EEXIST: already exists: ${at}`);
        throw new WorkspaceError('ENOTDIR', `ENOTDIR: not a directory: ${at}`);
      }
      const created: MemoryDir = { kind: 'dir', children: new Map(), mtimeMs: this.#now() };
      this.#addChild(dir, segment, created);
      dir = created;
    }
  }

  #write(relative: string, data: Uint8Array | string): void {
    if (relative === ROOT) throw new WorkspaceError('EISDIR', `EISDIR: is a directory: ${relative}`);
    const parent = this.#lookupDir(dirname(relative));
    const name = basename(relative);
    const existing = parent.children.get(name);
    if (existing?.kind === 'dir') throw new WorkspaceError('EISDIR', `EISDIR: is a directory: ${relative}`);
    // Copied so later changes to the caller's array do not reach the stored file.
    const bytes = typeof data === 'string' ? encoder.encode(data) : data.slice();
    const file: MemoryFile = { kind: 'file', data: bytes, mtimeMs: this.#now() };
    if (existing) parent.children.set(name, file);
    else this.#addChild(parent, name, file);
  }

  #addChild(parent: MemoryDir, name: string, node: MemoryNode): void {
    parent.children.set(name, node);
    parent.mtimeMs = node.mtimeMs;
  }

  /**
   * Strictly increasing, so two writes in the same millisecond still get
   * different mtimes and "changed since I read it" checks stay reliable.
   */
  #now(): number {
    this.#lastMtime = Math.max(Date.now(), this.#lastMtime + 0.001);
    return this.#lastMtime;
  }
}
