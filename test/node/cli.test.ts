import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { describe, expect, test } from 'vitest';

const run = promisify(execFile);
const cli = ['--import', 'tsx', 'adapters/node/cli.ts'];
const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };

describe('qcore bin', () => {
  test('--version prints the package version', async () => {
    const { stdout } = await run(process.execPath, [...cli, '--version']);
    expect(stdout.trim()).toBe(pkg.version);
  });

  test('--help prints usage', async () => {
    const { stdout } = await run(process.execPath, [...cli, '--help']);
    expect(stdout).toContain('Usage:');
  });

  test('an unknown flag is a usage error with exit code 2', async () => {
    await expect(run(process.execPath, [...cli, '--bogus'])).rejects.toMatchObject({ code: 2 });
  });
});
