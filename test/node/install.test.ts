/**
 * `npm pack`, then `npm install -g` of the tarball into an empty prefix, as
 * the README tells a user to: the installed `qcore` must run with nothing
 * else installed, because `dist/cli.js` bundles what it uses (hono and
 * @hono/node-server for `serve`). The package declares no dependencies, so
 * the install is `--offline`: it needs neither the registry nor the cache.
 *
 * Built once, into a staging copy of the package, so the repository's own
 * `dist/` is left alone; without type declarations, which take longer to
 * build than everything else and play no part in running the command.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { REPO } from './cli-support/run-cli.js';

const run = promisify(execFile);
const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as {
  name: string;
  version: string;
  dependencies?: Record<string, string>;
};

/** npm without its chatter, its update check or any network. */
const npmEnv = {
  ...process.env,
  npm_config_audit: 'false',
  npm_config_fund: 'false',
  npm_config_update_notifier: 'false',
  npm_config_loglevel: 'error',
};

let base: string;
let qcore: string;
/** Where the installed `qcore` runs: outside the repository, so no `node_modules` of ours is in reach. */
let outside: string;

beforeAll(async () => {
  base = mkdtempSync(join(tmpdir(), 'qcore-install-'));
  const staging = join(base, 'package');
  mkdirSync(staging);
  for (const file of ['package.json', 'README.md']) copyFileSync(join(REPO, file), join(staging, file));
  await run(
    process.execPath,
    [join(REPO, 'node_modules/tsup/dist/cli-default.js'), '--out-dir', join(staging, 'dist'), '--no-dts'],
    {
      cwd: REPO,
      maxBuffer: 16 * 1024 * 1024,
    },
  );
  const packed = await run('npm', ['pack', '--pack-destination', base, '--ignore-scripts'], {
    cwd: staging,
    env: npmEnv,
  });
  const tarball = join(base, packed.stdout.trim().split('\n').at(-1) ?? '');
  const prefix = join(base, 'prefix');
  await run('npm', ['install', '-g', '--offline', '--prefix', prefix, tarball], { cwd: base, env: npmEnv });
  qcore = join(prefix, 'bin', 'qcore');
  outside = join(base, 'work');
  mkdirSync(outside);
}, 120_000);

afterAll(() => {
  if (base) rmSync(base, { recursive: true, force: true });
});

/** The installed command, with a clean environment: no key, no QCORE_* setting, a home of its own. */
function installedEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: join(base, 'home'), QCORE_HOME: join(base, 'qcore-home'), ...extra };
}

describe('npm install -g of the packed tarball', { timeout: 60_000 }, () => {
  test('installs the command alone: the package has no dependencies, and hono is not installed', () => {
    expect(pkg.dependencies ?? {}).toEqual({});
    const installed = join(qcore, '../../lib/node_modules', pkg.name);
    expect(existsSync(join(installed, 'dist/cli.js'))).toBe(true);
    expect(existsSync(join(installed, 'node_modules'))).toBe(false);
    expect(readdirSync(join(installed, '..')).sort()).toEqual([pkg.name]);
  });

  test('qcore --version and qcore --help', async () => {
    const version = await run(qcore, ['--version'], { cwd: outside, env: installedEnv() });
    expect(version.stdout).toContain(pkg.version);
    const help = await run(qcore, ['--help'], { cwd: outside, env: installedEnv() });
    expect(help.stdout).toContain('qcore serve');
    const serveHelp = await run(qcore, ['serve', '--help'], { cwd: outside, env: installedEnv() });
    expect(serveHelp.stdout).toContain('--root DIR');
  });

  test('qcore serve starts and answers with the bundled hono', async () => {
    const token = 'install-test-token-0123456789';
    const child = spawn(qcore, ['serve', '--root', outside, '--port', '0'], {
      cwd: outside,
      env: installedEnv({ QCORE_TOKEN: token }),
    });
    try {
      const url = await firstUrl(child);
      const health = await fetch(`${url}/v1/health`, { headers: { authorization: `Bearer ${token}` } });
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ ok: true, root: outside });
    } finally {
      child.kill('SIGTERM');
    }
  });

  test('qcore --demo runs the agent end to end', async () => {
    const project = join(base, 'demo');
    mkdirSync(project);
    const result = await run(qcore, ['--demo'], { cwd: project, env: installedEnv() });
    expect(result.stdout).toContain('qcore-demo-summary.md');
    expect(existsSync(join(project, 'qcore-demo-summary.md'))).toBe(true);
  });
});

function firstUrl(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      const url = /(http:\/\/\S+:\d+)/.exec(stdout)?.[1];
      if (url) resolve(url);
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('close', (code) => reject(new Error(`qcore serve exited (${code}) before listening: ${stderr}`)));
  });
}
