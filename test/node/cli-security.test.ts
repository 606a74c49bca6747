/**
 * What the CLI lets through and what it says about it: variables passed to
 * commands, base URLs with credentials, and the words about `--cwd`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type MockServer, startMockServer } from '../../testing/mock-server.js';
import { type Project, removeTempProjects, runCli, tempProject } from './cli-support/run-cli.js';
import { systemPrompt, textReply, toolReply, toolResults } from './cli-support/wire.js';

let mock: MockServer;
beforeAll(async () => {
  mock = await startMockServer();
});
afterAll(async () => {
  await mock.close();
  removeTempProjects();
});

const KEY = 'sk-ant-cli-security-key-0123456789';
const SECRET = 'ghp_passed-through-only-on-request';

function writeConfig(project: Project, config: unknown): void {
  mkdirSync(project.home, { recursive: true });
  writeFileSync(join(project.home, 'config.json'), JSON.stringify(config));
}

/** Runs the CLI with a model that calls `bash env` once; returns what the command printed. */
async function envSeenByBash(extraFlags: string[], configure?: (project: Project) => void) {
  const session = mock.session({
    turns: [toolReply({ name: 'bash', arguments: { command: 'env' } }), textReply('ok')],
  });
  const project = tempProject({}, { ANTHROPIC_API_KEY: KEY, GITHUB_TOKEN: SECRET, QCORE_VISIBLE: 'plain-value' });
  configure?.(project);
  const result = await runCli(project, [
    '--base-url',
    session.baseUrl,
    '--thinking',
    'off',
    // Print mode with no terminal refuses bash unless told otherwise.
    '--approval',
    'yolo',
    ...extraFlags,
    '-p',
    'env',
  ]);
  const bash = toolResults(session.requests[1]).find((r) => r.name === 'bash');
  return { result, output: bash?.text ?? '' };
}

describe.concurrent('variables for commands', { timeout: 30_000 }, () => {
  test('by default bash sees ordinary variables but not the key or a token', async () => {
    const { result, output } = await envSeenByBash([]);
    expect(result.code).toBe(0);
    expect(output).toContain('QCORE_VISIBLE=plain-value');
    expect(output).not.toContain(SECRET);
    expect(output).not.toContain(KEY);
  });

  test('--env NAME passes that variable through to commands, and only that one', async () => {
    const { result, output } = await envSeenByBash(['--env', 'GITHUB_TOKEN', '--env', 'QCORE_UNSET_VARIABLE']);
    expect(result.code).toBe(0);
    expect(output).toContain(`GITHUB_TOKEN=${SECRET}`);
    expect(result.stderr).toContain('warning: --env QCORE_UNSET_VARIABLE: it is not set, so commands do not get it');
    expect(result.stdout + result.stderr).not.toContain(SECRET);
  });

  test('"env" in the config file does the same', async () => {
    const { result, output } = await envSeenByBash([], (project) => writeConfig(project, { env: ['GITHUB_TOKEN'] }));
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(output).toContain(`GITHUB_TOKEN=${SECRET}`);
  });

  test('--env takes a name, never a value, and a bad config entry names its place', async () => {
    const project = tempProject();
    const withValue = await runCli(project, ['--env', 'GITHUB_TOKEN=abc', '-p', 'hi']);
    expect(withValue.code).toBe(2);
    expect(withValue.stderr).toContain('--env takes a variable name such as GITHUB_TOKEN, got "GITHUB_TOKEN=…"');
    expect(withValue.stderr).not.toContain('abc');
    writeConfig(project, { env: ['OK_NAME', 'not a name'] });
    const badConfig = await runCli(project, ['-p', 'hi']);
    expect(badConfig.code).toBe(1);
    expect(badConfig.stderr).toContain('env[1]: expected a variable name');
  });
});

describe.concurrent('--base-url with credentials', { timeout: 30_000 }, () => {
  test('is a usage error that hides them', async () => {
    const session = mock.session({ turns: [textReply('never')] });
    const project = tempProject({}, { ANTHROPIC_API_KEY: KEY });
    const url = session.baseUrl.replace('http://', 'http://alice:hunter2@');
    const result = await runCli(project, ['--base-url', url, '-p', 'hi']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`--base-url ${url.replace('alice:hunter2@', '***@')} contains credentials`);
    expect(result.stderr).not.toMatch(/alice|hunter2/);
    expect(session.requests).toHaveLength(0);
  });

  test('an invalid one is not echoed with its credentials either', async () => {
    const project = tempProject({}, { ANTHROPIC_API_KEY: KEY });
    const result = await runCli(project, ['--base-url', 'http://alice:hunter2@exa mple/v1', '-p', 'hi']);
    expect(result.code).toBe(2);
    expect(result.stderr).not.toMatch(/alice|hunter2/);
  });
});

/** The sentences of `text` that talk about where tools can reach. */
function confinementClaims(text: string): string[] {
  return text
    .replace(/\s+/g, ' ')
    .split(/(?<=[.;:])\s/)
    .filter((sentence) => /outside|confined|cannot reach/i.test(sentence));
}

describe.concurrent('what --cwd confines', { timeout: 30_000 }, () => {
  test('--help says the file tools are confined and bash is not', async () => {
    const result = await runCli(tempProject(), ['--help']);
    expect(result.code).toBe(0);
    const cwd = /--cwd DIR[\s\S]*?(?=\n {2}--)/.exec(result.stdout)?.[0] ?? '';
    expect(cwd.replace(/\s+/g, ' ')).toMatch(/file tools .*cannot reach outside it/);
    expect(cwd.replace(/\s+/g, ' ')).toMatch(/bash .*not confined/);
    for (const claim of confinementClaims(result.stdout)) expect(claim).not.toMatch(/\b(the|all|every) tools?\b/i);
  });

  test('the system prompt says the same to the model', async () => {
    const session = mock.session({ turns: [textReply('ok'), textReply('ok')] });
    const project = tempProject({}, { ANTHROPIC_API_KEY: KEY });
    const flags = ['--base-url', session.baseUrl, '--no-session'];
    expect((await runCli(project, [...flags, '-p', 'hi'])).code).toBe(0);
    expect((await runCli(project, [...flags, '--tools', 'read,ls', '-p', 'hi'])).code).toBe(0);
    const [all, noBash] = [systemPrompt(session.requests[0]), systemPrompt(session.requests[1])];
    expect(all).toMatch(/bash[^.]*is not confined/);
    for (const claim of confinementClaims(all)) {
      expect(claim).not.toMatch(/\byou cannot\b|\b(the|all|every) tools?\b/i);
    }
    expect(all).toMatch(/file tools[^.]*cannot reach files outside it/);
    expect(noBash).not.toMatch(/bash/);
  });
});
