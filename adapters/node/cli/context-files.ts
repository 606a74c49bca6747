/**
 * Project instructions for the agent: `AGENTS.md` and `CLAUDE.md` from the
 * working directory up to the repository root, plus a personal
 * `$QCORE_HOME/AGENTS.md`. Outermost first, so nearer files can refine
 * what farther ones say.
 *
 * What they say goes to the provider, so each is read only from inside its
 * boundary: the repository root (or the working directory outside a
 * repository), or `$QCORE_HOME` for the personal file. A link that leads
 * out of it, a FIFO, a socket or a device is skipped with a warning, and at
 * most 64 KB (plus one byte, to know there was more) is read of any file.
 */
import { closeSync, existsSync, fstatSync, openSync, readSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { isInside, OPEN_READ, openedPathSync, specialKind } from '../descriptors.js';

export interface ContextFile {
  path: string;
  content: string;
}

export const CONTEXT_FILE_NAMES = ['AGENTS.md', 'CLAUDE.md'] as const;

/** Instructions are for guidance; a huge file would crowd out the conversation. */
const MAX_CONTEXT_FILE_BYTES = 64 * 1024;

export type ContextWarn = (message: string) => void;

const warnOnStderr: ContextWarn = (message) => {
  process.stderr.write(`qcore: warning: ${message}\n`);
};

/** A directory to look in, and the boundary its files must stay inside. */
interface Place {
  dir: string;
  boundary: string;
  /** How a warning names the boundary. */
  label: string;
  names: readonly string[];
}

export function findContextFiles(cwd: string, qcoreHome: string, warn: ContextWarn = warnOnStderr): ContextFile[] {
  const project = projectDirs(cwd);
  const places: Place[] = [
    { dir: qcoreHome, boundary: qcoreHome, label: `QCORE_HOME ${qcoreHome}`, names: ['AGENTS.md'] },
    ...project.dirs.map((dir) => ({
      dir,
      boundary: project.root,
      label: project.inRepository ? `the repository ${project.root}` : `the working directory ${project.root}`,
      names: CONTEXT_FILE_NAMES,
    })),
  ];
  const files: ContextFile[] = [];
  const seenPaths = new Set<string>();
  const seenContent = new Set<string>();
  for (const place of places) {
    for (const name of place.names) {
      const path = join(place.dir, name);
      const file = readContextFile(path, place, warn);
      // CLAUDE.md is often a symlink to, or a copy of, AGENTS.md: say it once.
      if (!file || seenPaths.has(file.real) || seenContent.has(file.content)) continue;
      seenPaths.add(file.real);
      seenContent.add(file.content);
      files.push({ path, content: file.content });
    }
  }
  return files;
}

/** From the repository root (the nearest ancestor holding `.git`) down to `cwd`; just `cwd` outside a repository. */
function projectDirs(cwd: string): { root: string; dirs: string[]; inRepository: boolean } {
  const chain: string[] = [];
  for (let dir = cwd; ; dir = dirname(dir)) {
    chain.push(dir);
    if (existsSync(join(dir, '.git'))) return { root: dir, dirs: chain.reverse(), inRepository: true };
    if (dirname(dir) === dir) return { root: cwd, dirs: [cwd], inRepository: false };
  }
}

function readContextFile(path: string, place: Place, warn: ContextWarn): { real: string; content: string } | undefined {
  let real: string;
  let boundary: string;
  try {
    real = realpathSync(path);
    boundary = realpathSync(place.boundary);
  } catch {
    // Missing, or a link to nothing: there are no instructions here.
    return undefined;
  }
  const outside = `skipped ${path}: it leads to ${real}, outside ${place.label}`;
  if (!isInside(boundary, real)) {
    warn(outside);
    return undefined;
  }
  let fd: number;
  try {
    // Non-blocking, so a FIFO cannot hold up start-up before fstat shows what it is.
    fd = openSync(real, OPEN_READ);
  } catch (error) {
    const code = typeof error === 'object' && error !== null && 'code' in error ? error.code : undefined;
    if (code === 'ENXIO') warn(`skipped ${path}: not a regular file (a socket)`);
    else if (code === 'ELOOP') warn(`skipped ${path}: it became a symlink while it was being opened`);
    return undefined;
  }
  try {
    const stats = fstatSync(fd);
    if (stats.isDirectory()) return undefined;
    const kind = specialKind(stats);
    if (kind) {
      warn(`skipped ${path}: not a regular file (${kind})`);
      return undefined;
    }
    // The path was checked before the open; on Linux the opened file is checked too, in case a link was swapped in.
    const opened = openedPathSync(fd);
    if (opened !== undefined && !isInside(boundary, opened)) {
      warn(outside);
      return undefined;
    }
    const bytes = readAtMost(fd, MAX_CONTEXT_FILE_BYTES + 1);
    const cut = bytes.byteLength > MAX_CONTEXT_FILE_BYTES;
    // Streaming decode drops a character cut in half at the limit instead of showing U+FFFD.
    let content = new TextDecoder().decode(bytes.subarray(0, MAX_CONTEXT_FILE_BYTES), { stream: cut }).trim();
    if (content === '') return undefined;
    if (cut) content = `${content}\n\n[Truncated: the file is longer than ${MAX_CONTEXT_FILE_BYTES / 1024} KB.]`;
    return { real, content };
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/** The file's first `max` bytes or fewer, never more, however large it is. */
function readAtMost(fd: number, max: number): Uint8Array {
  const bytes = new Uint8Array(max);
  let got = 0;
  while (got < max) {
    const read = readSync(fd, bytes, got, max - got, got);
    if (read === 0) break;
    got += read;
  }
  return bytes.subarray(0, got);
}
