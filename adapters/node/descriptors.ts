/**
 * Opening files so that what is checked is the file that was opened, not a
 * path string that may have changed since. Shared by `NodeWorkspace` and the
 * CLI's context files.
 *
 * On Linux an open descriptor's real location is read back from
 * `/proc/self/fd/N`, and a path below `/proc/self/fd/<dirfd>/` resolves
 * from that directory itself, whatever has been renamed or swapped for a
 * symlink along its old path. Other platforms have no such view: there the
 * callers check the path before opening it, and `O_NOFOLLOW` plus `fstat`
 * still refuse a last segment that became a symlink or a special file.
 */
import type { Stats } from 'node:fs';
import { constants, readlinkSync, statSync } from 'node:fs';
import { readlink } from 'node:fs/promises';
import { sep } from 'node:path';

// Absent on Windows, where they mean nothing: 0 leaves the flag out.
const O_NOFOLLOW = constants.O_NOFOLLOW ?? 0;
const O_NONBLOCK = constants.O_NONBLOCK ?? 0;
const O_DIRECTORY = constants.O_DIRECTORY ?? 0;

/**
 * `O_NONBLOCK` makes opening a FIFO return at once instead of waiting for a
 * writer (which would hold one of libuv's four threads); reads of regular
 * files ignore it. `O_NOFOLLOW` refuses a last segment that is a symlink.
 */
export const OPEN_READ = constants.O_RDONLY | O_NONBLOCK | O_NOFOLLOW;
/** Without `O_TRUNC`: the file is truncated only once `fstat` says it is a regular file. */
export const OPEN_WRITE = constants.O_WRONLY | constants.O_CREAT | O_NONBLOCK | O_NOFOLLOW;
export const OPEN_DIRECTORY = constants.O_RDONLY | O_DIRECTORY | O_NOFOLLOW;

let procFd: boolean | undefined;

/** Whether `/proc/self/fd` exists: Linux with /proc mounted. */
export function canTrackDescriptors(): boolean {
  if (procFd === undefined) {
    try {
      procFd = process.platform === 'linux' && statSync('/proc/self/fd').isDirectory();
    } catch {
      procFd = false;
    }
  }
  return procFd;
}

/** The path that names an open descriptor itself, or `undefined` where there is none. */
export function descriptorPath(fd: number): string | undefined {
  return canTrackDescriptors() ? `/proc/self/fd/${fd}` : undefined;
}

/** Where the kernel says an open descriptor is, or `undefined` where it cannot say. */
export async function openedPath(fd: number): Promise<string | undefined> {
  const link = descriptorPath(fd);
  return link === undefined ? undefined : readlink(link);
}

export function openedPathSync(fd: number): string | undefined {
  const link = descriptorPath(fd);
  return link === undefined ? undefined : readlinkSync(link);
}

/** What a file that is neither a regular file, a directory nor a symlink is, for error messages. */
export function specialKind(stats: Stats): string | undefined {
  if (stats.isFIFO()) return 'a FIFO';
  if (stats.isSocket()) return 'a socket';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isFile() || stats.isDirectory() || stats.isSymbolicLink()) return undefined;
  return 'a special file';
}

/** Whether `path` is `root` or below it; both real (symlink-free) absolute paths. */
export function isInside(root: string, path: string): boolean {
  if (path === root) return true;
  return path.startsWith(root.endsWith(sep) ? root : `${root}${sep}`);
}
