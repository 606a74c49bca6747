/**
 * The official MCP conformance suite (`@modelcontextprotocol/conformance`,
 * 0.1.13, the newest that runs on Node 20) against qcore's client, through
 * `test/conformance/qcore-client.ts`, offline. Scenarios qcore does not pass
 * yet are named with why; a pass among them fails the test, so the list
 * cannot go stale.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { REPO, TSX } from './cli-support/run-cli.js';

const require = createRequire(import.meta.url);
const SUITE = join(require.resolve('@modelcontextprotocol/conformance/package.json'), '..', 'dist/index.js');
const DRIVER = join(REPO, 'test/conformance/qcore-client.ts');
const results = mkdtempSync(join(tmpdir(), 'qcore-conformance-'));
afterAll(() => rmSync(results, { recursive: true, force: true }));

/** Client scenarios qcore does not pass, and why; auth scenarios wait for OAuth (a later issue). */
const NOT_YET: Record<string, string> = {
  'elicitation-sep1034-client-defaults': 'the client does not offer elicitation',
};

function runScenario(scenario: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [SUITE, 'client', '--command', `${process.execPath} --import ${TSX} ${DRIVER}`, '--scenario', scenario],
      { cwd: results, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('close', (code) => resolve({ code, output }));
  });
}

describe('MCP conformance suite, client scenarios', { timeout: 60_000 }, () => {
  test.each(['initialize', 'tools_call', 'sse-retry'])('%s passes', async (scenario) => {
    const { code, output } = await runScenario(scenario);
    expect(output, output).toContain('OVERALL: PASSED');
    expect(code).toBe(0);
  });

  test.each(Object.keys(NOT_YET))('%s does not pass (see NOT_YET for why)', async (scenario) => {
    const { output } = await runScenario(scenario);
    expect(output).toContain('OVERALL: FAILED');
  });
});
