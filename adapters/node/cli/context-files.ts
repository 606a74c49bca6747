/**
 * Project instructions for the agent: `AGENTS.md` and `CLAUDE.md` from the
 * working directory up to the repository root, plus a personal
 * `$QCORE_HOME/AGENTS.md`. Outermost first, so nearer files can refine
 * what farther ones say.
 */
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface ContextFile {
  path: string;
  content: string;
}

export const CONTEXT_FILE_NAMES = ['AGENTS.md', 'CLAUDE.md'] as const;

/** Instructions are for guidance; a huge file would crowd out the conversation. */
const MAX_CONTEXT_FILE_CHARS = 64 * 1024;

export function findContextFiles(cwd: string, qcoreHome: string): ContextFile[] {
  const dirs = [qcoreHome, ...projectDirs(cwd)];
  const files: ContextFile[] = [];
  const seenPaths = new Set<string>();
  const seenContent = new Set<string>();
  for (const dir of dirs) {
    for (const name of CONTEXT_FILE_NAMES) {
      if (dir === qcoreHome && name !== 'AGENTS.md') continue;
      const file = readContextFile(join(dir, name));
      // CLAUDE.md is often a symlink to, or a copy of, AGENTS.md: say it once.
      if (!file || seenPaths.has(file.real) || seenContent.has(file.content)) continue;
      seenPaths.add(file.real);
      seenContent.add(file.content);
      files.push({ path: join(dir, name), content: file.content });
    }
  }
  return files;
}

/** From the repository root (the nearest ancestor holding `.git`) down to `cwd`; just `cwd` outside a repository. */
function projectDirs(cwd: string): string[] {
  const chain: string[] = [];
  for (let dir = cwd; ; dir = dirname(dir)) {
    chain.push(dir);
    if (existsSync(join(dir, '.git'))) return chain.reverse();
    if (dirname(dir) === dir) return [cwd];
  }
}

function readContextFile(path: string): { real: string; content: string } | undefined {
  try {
    const real = realpathSync(path);
    let content = readFileSync(real, 'utf8').trim();
    if (content === '') return undefined;
    if (content.length > MAX_CONTEXT_FILE_CHARS) {
      content = `${content.slice(0, MAX_CONTEXT_FILE_CHARS)}\n\n[Truncated: the file is longer than ${MAX_CONTEXT_FILE_CHARS} characters.]`;
    }
    return { real, content };
  } catch {
    return undefined;
  }
}
