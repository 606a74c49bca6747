/**
 * qcore with none of its optional peers installed: a copy of the source in a
 * temporary directory whose `node_modules` holds only `eventsource-parser` and the
 * CLI's bundled terminal libraries, so
 * `zod`, `hono` and `@hono/node-server` cannot resolve. Run from the source
 * through tsx, as the CLI tests do, so it needs no build and cannot pass on a
 * stale `dist/`.
 */
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO, TSX } from './run-cli.js';

/** What dist/cli.js bundles besides the peers: the markdown renderer's libraries and theirs. */
const CLI_BUNDLED = ['marked', 'highlight.js', 'string-width', 'strip-ansi', 'ansi-regex', 'get-east-asian-width'];

export interface NoPeersResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface NoPeersInstall {
  dir: string;
  /** Runs `node --import tsx ...args` in the install. */
  run(args: readonly string[], env?: NodeJS.ProcessEnv): Promise<NoPeersResult>;
  /** Writes a script into the install and returns its name, for `run`. */
  script(name: string, text: string): string;
  remove(): void;
}

export function installWithoutPeers(): NoPeersInstall {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'qcore-no-peers-')));
  for (const folder of ['src', 'adapters', 'testing']) {
    cpSync(join(REPO, folder), join(dir, folder), { recursive: true });
  }
  mkdirSync(join(dir, 'node_modules'));
  // The CLI's terminal libraries are no peers: the published dist/cli.js bundles them.
  for (const name of ['eventsource-parser', ...CLI_BUNDLED]) {
    symlinkSync(join(REPO, 'node_modules', name), join(dir, 'node_modules', name), 'dir');
  }
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'no-peers', type: 'module', private: true }));
  return {
    dir,
    run: (args, env = {}) => run(dir, args, env),
    script(name, text) {
      writeFileSync(join(dir, name), text);
      return name;
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

function run(dir: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<NoPeersResult> {
  const child = spawn(process.execPath, ['--import', TSX, ...args], {
    cwd: dir,
    env: { ...process.env, QCORE_HOME: join(dir, 'home'), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`node ${args.join(' ')} did not finish\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, 20_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
