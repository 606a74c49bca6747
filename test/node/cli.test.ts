import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { describe, expect, test } from 'vitest';

const run = promisify(execFile);
const cli = ['--import', 'tsx', 'adapters/node/cli.ts'];
const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };

describe.concurrent('qcore bin', { timeout: 30_000 }, () => {
  test('--version prints the package version', async () => {
    const { stdout } = await run(process.execPath, [...cli, '--version']);
    expect(stdout.trim()).toBe(pkg.version);
  });

  test('--help prints usage, and warns that --api-key shows in ps', async () => {
    const { stdout } = await run(process.execPath, [...cli, '--help']);
    expect(stdout).toContain('Usage:');
    expect(stdout).toMatch(
      /--api-key KEY\s+the provider's key\. Anyone who can run `ps` on this machine sees it:\s+prefer the environment/,
    );
    for (const flag of [
      '--provider',
      '--model',
      '--base-url',
      '--thinking',
      '--tools',
      '--cwd',
      '--continue',
      '--session',
      '--no-session',
      '--demo',
      '--json',
      '--print',
    ]) {
      expect(stdout).toContain(flag);
    }
  });

  test('serve --help explains the token', async () => {
    const { stdout } = await run(process.execPath, [...cli, 'serve', '--help']);
    expect(stdout).toContain('QCORE_TOKEN=$(openssl rand -hex 32) qcore serve --root DIR');
    expect(stdout).toContain('shorter than 16 characters');
    expect(stdout).toContain('refuses to start without a token');
  });

  test('an unknown flag is a usage error with exit code 2', async () => {
    await expect(run(process.execPath, [...cli, '--bogus'])).rejects.toMatchObject({
      code: 2,
      stderr: 'qcore: unknown option --bogus (see qcore --help)\n',
    });
  });
});
