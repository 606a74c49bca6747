/**
 * Helpers for the Node workspace and exec server tests: temp directories and
 * checks that killed process groups really are gone.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh directory under the OS temp dir; remove it with `removeDir`. */
export function makeTempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `qcore-${prefix}-`));
}

export function removeDir(dir: string): Promise<void> {
  return rm(dir, { recursive: true, force: true });
}

/**
 * Processes still running in the group `pgid`. Zombies do not count: in a
 * container nothing may reap them, yet they run nothing and hold no pipe.
 */
export function liveGroupMembers(pgid: number): number[] {
  const table = execFileSync('ps', ['-eo', 'pid=,pgid=,stat='], { encoding: 'utf8' });
  return table
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter(([, group, stat]) => Number(group) === pgid && stat !== undefined && !stat.startsWith('Z'))
    .map(([pid]) => Number(pid));
}

export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !execFileSync('ps', ['-o', 'stat=', '-p', String(pid)], { encoding: 'utf8' })
      .trim()
      .startsWith('Z');
  } catch {
    return false;
  }
}

/** Polls `check` until it holds or `timeoutMs` passes; returns its last answer. */
export async function eventually(check: () => boolean, timeoutMs = 3000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (check()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Reads PIDs a command wrote, one a line, waiting for the file to appear. */
export async function readPids(path: string, count: number, timeoutMs = 3000): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const pids = await readFile(path, 'utf8').then(
      (text) => text.split('\n').filter(Boolean).map(Number),
      () => [],
    );
    if (pids.length >= count || Date.now() > deadline) return pids;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Kills leftovers (negative: a whole group) so a failing test does not leave sleeps behind. */
export function killQuietly(pids: number[]): void {
  for (const pid of pids) {
    if (pid === 0) continue;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}
