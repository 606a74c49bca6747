#!/usr/bin/env node
/**
 * The `qcore` command. The coding agent arrives with the CLI issue; this
 * entry answers `--help` and `--version` so the bin is real from day one.
 */
import { readFileSync } from 'node:fs';

const HELP = `qcore: a coding agent in your terminal

Usage:
  qcore --help       show this help
  qcore --version    print the version

The interactive agent is not built yet.`;

/** package.json sits one level up from dist/cli.js, two from the source file. */
function version(): string {
  for (const relative of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(relative, import.meta.url), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === 'qcore' && pkg.version) return pkg.version;
    } catch {
      // Try the next place.
    }
  }
  return 'unknown';
}

const args = process.argv.slice(2);
if (args.includes('--version') || args.includes('-v')) {
  process.stdout.write(`${version()}\n`);
} else if (args.length === 0 || args.includes('--help') || args.includes('-h')) {
  process.stdout.write(`${HELP}\n`);
} else {
  process.stderr.write(`qcore: unknown arguments: ${args.join(' ')}\nRun qcore --help for usage.\n`);
  process.exitCode = 2;
}
