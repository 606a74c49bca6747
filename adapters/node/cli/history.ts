/**
 * The prompt history, kept in `$QCORE_HOME/history` one entry a line, oldest
 * first, so up-arrow recalls lines from earlier runs.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export const HISTORY_SIZE = 1000;

/** Newest first, as node:readline wants it. */
export function loadHistory(path: string): string[] {
  try {
    return readFileSync(path, 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '')
      .slice(-HISTORY_SIZE)
      .reverse();
  } catch {
    return [];
  }
}

/** Takes readline's newest-first list. Never throws: losing history must not end a session. */
export function saveHistory(path: string, newestFirst: readonly string[]): void {
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    const lines = newestFirst.slice(0, HISTORY_SIZE).reverse();
    // Prompts can quote secrets, so only the owner may read them.
    writeFileSync(path, lines.length > 0 ? `${lines.join('\n')}\n` : '', { mode: 0o600 });
  } catch {
    // Ignored on purpose; see above.
  }
}
