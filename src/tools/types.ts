/**
 * The backend interface the coding tools run on. Each runtime injects one:
 * `MemoryWorkspace` anywhere, `NodeWorkspace` on Node, `LightningFsWorkspace`
 * in browsers, `RemoteWorkspace` over HTTP.
 *
 * Paths are POSIX paths relative to the workspace root (`src/main.rs`, `.`).
 * The workspace is the security boundary: it refuses any path that resolves
 * outside its root, whatever the caller checked before.
 */
import type { GrepMatcher } from './grep-matcher.js';

/**
 * `special` is anything else a real filesystem holds: a FIFO, socket or
 * device. Tools never open one, since reading a FIFO blocks and a device
 * may never end.
 */
export type WorkspaceEntryType = 'file' | 'dir' | 'symlink' | 'special';

export interface WorkspaceEntry {
  name: string;
  type: WorkspaceEntryType;
}

export interface WorkspaceStat {
  type: WorkspaceEntryType;
  size: number;
  mtimeMs: number;
}

export interface ExecOptions {
  /** Relative to the workspace root. Default: the root. */
  cwd?: string;
  signal?: AbortSignal;
  timeoutMs?: number;
  /** Output as it arrives, stdout and stderr interleaved. */
  onOutput?: (chunk: string) => void;
}

export interface ExecResult {
  /** `null` when the process was killed (timeout or abort). */
  exitCode: number | null;
  /** The combined output. A backend may keep only its tail; see `truncated`. */
  output: string;
  timedOut: boolean;
  /** Set when the backend dropped the start of the output to bound memory. */
  truncated?: boolean;
}

export interface Workspace {
  /**
   * The root as an absolute POSIX path, as the model should see it, such as
   * `/home/me/project` or `/workspace`. Absolute paths under it are accepted.
   */
  readonly root: string;
  readFile(path: string): Promise<Uint8Array>;
  /**
   * Up to `length` bytes of a file from byte `offset`: fewer only where the
   * file ends, none from its end on. Optional; without it callers read the
   * whole file with `readFile` and slice it. A backend that can read part
   * of a file (a disk, a server) should offer it, so a page of a huge file
   * costs a page of memory.
   */
  readFileRange?(path: string, offset: number, length: number): Promise<Uint8Array>;
  writeFile(path: string, data: Uint8Array | string): Promise<void>;
  readdir(path: string): Promise<WorkspaceEntry[]>;
  stat(path: string): Promise<WorkspaceStat>;
  mkdir(path: string, options?: { recursive?: boolean }): Promise<void>;
  rm(path: string, options?: { recursive?: boolean }): Promise<void>;
  /** Present only where a shell exists; the `bash` tool needs it. */
  exec?(command: string, options: ExecOptions): Promise<ExecResult>;
  /**
   * Where `grep` runs its regex when its options name no matcher. A backend
   * for a runtime with workers it can kill (`NodeWorkspace`,
   * `LightningFsWorkspace`) supplies one, so the secure default comes with
   * the workspace and not with which entry `createCodingTools` came from.
   * Absent: the in-place default, which refuses nested quantifiers.
   */
  readonly grepMatcher?: GrepMatcher;
}

/**
 * What a workspace throws. `code` follows POSIX names so tools can tell
 * "not found" from "outside the root" in every backend.
 */
export class WorkspaceError extends Error {
  constructor(
    readonly code: 'ENOENT' | 'EEXIST' | 'ENOTDIR' | 'EISDIR' | 'ENOTEMPTY' | 'EACCES' | 'EOUTSIDE' | 'EINVAL',
    message: string,
  ) {
    super(message);
    this.name = 'WorkspaceError';
  }
}
