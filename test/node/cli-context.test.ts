import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { findContextFiles } from '../../adapters/node/cli/context-files.js';
import { type MockServer, startMockServer } from '../../testing/mock-server.js';
import { removeTempProjects, runCli, tempProject, writeFiles } from './cli-support/run-cli.js';
import { systemPrompt, textReply } from './cli-support/wire.js';

let mock: MockServer;
beforeAll(async () => {
  mock = await startMockServer();
});
afterAll(async () => {
  await mock.close();
  removeTempProjects();
});

function today(): string {
  const now = new Date();
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

describe.concurrent('the system prompt', { timeout: 30_000 }, () => {
  test('holds AGENTS.md and CLAUDE.md from the repository root down to the cwd, outermost first', async () => {
    const project = tempProject(
      {
        'AGENTS.md': 'Root rule: run cargo fmt.',
        'packages/app/AGENTS.md': 'App rule: never unwrap.',
        // A copy of the file next to it is said once.
        'packages/app/CLAUDE.md': 'App rule: never unwrap.',
        'packages/CLAUDE.md': 'Packages rule: keep crates small.',
      },
      { ANTHROPIC_API_KEY: 'k' },
    );
    mkdirSync(join(project.dir, '.git'));
    // Above the repository root: not this project's instructions.
    writeFileSync(join(dirname(project.dir), 'AGENTS.md'), 'OUTSIDE THE REPO');
    writeFiles(project.home, { 'AGENTS.md': 'Personal rule: answer in English.' });
    const cwd = join(project.dir, 'packages/app');
    const session = mock.session({ turns: [textReply('ok')] });

    const result = await runCli(project, ['--base-url', session.baseUrl, '-p', 'hi'], { cwd });
    expect(result.code).toBe(0);
    const prompt = systemPrompt(session.requests[0]);
    const order = ['Personal rule', 'Root rule', 'Packages rule', 'App rule'].map((rule) => prompt.indexOf(rule));
    expect(order.every((index) => index > 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(prompt.split('App rule').length).toBe(2);
    expect(prompt).not.toContain('OUTSIDE THE REPO');
    expect(prompt).toContain(`## ${join(project.dir, 'AGENTS.md')}`);
    expect(prompt).toContain(`Working directory: ${cwd}`);
    expect(prompt).toContain(`Today's date: ${today()}`);
    for (const tool of ['read', 'write', 'edit', 'ls', 'find', 'grep', 'bash'])
      expect(prompt).toContain(`\n- ${tool}: `);
  });

  test('an instruction file linking out of the repository is not sent, and stderr says why', async () => {
    const project = tempProject({ 'AGENTS.md': 'Root rule.' }, { ANTHROPIC_API_KEY: 'k' });
    mkdirSync(join(project.dir, '.git'));
    const secret = join(dirname(project.dir), 'secret.md');
    writeFileSync(secret, 'OUTSIDE SECRET');
    symlinkSync(secret, join(project.dir, 'CLAUDE.md'));
    const session = mock.session({ turns: [textReply('ok')] });
    const result = await runCli(project, ['--base-url', session.baseUrl, '-p', 'hi'], { cwd: project.dir });
    expect(result.code).toBe(0);
    const prompt = systemPrompt(session.requests[0]);
    expect(prompt).toContain('Root rule.');
    expect(prompt).not.toContain('OUTSIDE SECRET');
    expect(result.stderr).toContain(
      `qcore: warning: skipped ${join(project.dir, 'CLAUDE.md')}: it leads to ${secret}, outside the repository ${project.dir}`,
    );
  });

  test('outside a repository only the cwd is searched, and --tools shapes the tool list', async () => {
    const project = tempProject(
      { 'AGENTS.md': 'Here rule.', 'sub/AGENTS.md': 'Sub rule.' },
      { ANTHROPIC_API_KEY: 'k' },
    );
    const session = mock.session({ turns: [textReply('ok')] });
    const result = await runCli(project, ['--base-url', session.baseUrl, '--tools', 'read,ls', '-p', 'hi'], {
      cwd: join(project.dir, 'sub'),
    });
    expect(result.code).toBe(0);
    const prompt = systemPrompt(session.requests[0]);
    expect(prompt).toContain('Sub rule.');
    expect(prompt).not.toContain('Here rule.');
    expect(prompt).toContain('\n- read: ');
    expect(prompt).not.toContain('\n- bash: ');
    expect(prompt).not.toContain('with bash');
  });
});

describe('context files stay inside the repository or QCORE_HOME', () => {
  let base: string;
  let repo: string;
  let home: string;
  let outside: string;
  let warnings: string[];
  let rescuers: ChildProcess[];
  const warn = (message: string) => warnings.push(message);

  beforeEach(() => {
    base = realpathSync(mkdtempSync(join(tmpdir(), 'qcore-context-')));
    repo = join(base, 'repo');
    home = join(base, 'home');
    outside = join(base, 'outside');
    for (const dir of [join(repo, '.git'), join(repo, 'sub'), home, outside]) mkdirSync(dir, { recursive: true });
    writeFileSync(join(outside, 'secret.md'), 'OUTSIDE SECRET');
    warnings = [];
    rescuers = [];
  });

  afterEach(() => {
    for (const rescuer of rescuers) rescuer.kill('SIGKILL');
    rmSync(base, { recursive: true, force: true });
  });

  test('a link leaving the repository is skipped with a warning; links inside it are read', () => {
    writeFileSync(join(repo, 'AGENTS.md'), 'Root rule.');
    mkdirSync(join(repo, 'docs'));
    writeFileSync(join(repo, 'docs/rules.md'), 'Docs rule.');
    symlinkSync(join(outside, 'secret.md'), join(repo, 'sub/AGENTS.md'));
    symlinkSync('../docs/rules.md', join(repo, 'sub/CLAUDE.md'));
    const files = findContextFiles(join(repo, 'sub'), home, warn);
    expect(files.map((file) => file.content)).toEqual(['Root rule.', 'Docs rule.']);
    expect(warnings).toEqual([
      `skipped ${join(repo, 'sub/AGENTS.md')}: it leads to ${join(outside, 'secret.md')}, outside the repository ${repo}`,
    ]);
  });

  test('outside a repository the working directory is the boundary', () => {
    const cwd = join(outside, 'project');
    mkdirSync(cwd);
    symlinkSync('../secret.md', join(cwd, 'AGENTS.md'));
    expect(findContextFiles(cwd, home, warn)).toEqual([]);
    expect(warnings).toEqual([
      `skipped ${join(cwd, 'AGENTS.md')}: it leads to ${join(outside, 'secret.md')}, outside the working directory ${cwd}`,
    ]);
  });

  test('a CLAUDE.md linking to the AGENTS.md beside it is allowed, and said once', () => {
    writeFileSync(join(repo, 'AGENTS.md'), 'Shared rule.');
    symlinkSync('AGENTS.md', join(repo, 'CLAUDE.md'));
    expect(findContextFiles(repo, home, warn)).toEqual([{ path: join(repo, 'AGENTS.md'), content: 'Shared rule.' }]);
    expect(warnings).toEqual([]);
  });

  test('QCORE_HOME/AGENTS.md linking out of QCORE_HOME is skipped with a warning', () => {
    symlinkSync(join(outside, 'secret.md'), join(home, 'AGENTS.md'));
    expect(findContextFiles(repo, home, warn)).toEqual([]);
    expect(warnings).toEqual([
      `skipped ${join(home, 'AGENTS.md')}: it leads to ${join(outside, 'secret.md')}, outside QCORE_HOME ${home}`,
    ]);
  });

  test('a FIFO is skipped at once with a warning', () => {
    const fifo = join(repo, 'AGENTS.md');
    execFileSync('mkfifo', [fifo]);
    // Were the FIFO opened to be read, this would block start-up for good. After 3 s a
    // read-write open (which never blocks) releases such a reader, so the test fails, not hangs.
    rescuers.push(spawn('sh', ['-c', 'sleep 3; exec 3<>"$0"', fifo], { stdio: 'ignore' }));
    const started = Date.now();
    expect(findContextFiles(repo, home, warn)).toEqual([]);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(warnings).toEqual([`skipped ${fifo}: not a regular file (a FIFO)`]);
  });

  test.runIf(canMakeDevices())('a device is skipped, never read', () => {
    // The same device as /dev/zero: read to its end, it never ends.
    execFileSync('mknod', [join(repo, 'AGENTS.md'), 'c', '1', '5']);
    expect(findContextFiles(repo, home, warn)).toEqual([]);
    expect(warnings).toEqual([`skipped ${join(repo, 'AGENTS.md')}: not a regular file (a character device)`]);
  });

  test('of a 600 MB file only the first 64 KB is kept, and no more than that is read', () => {
    const path = join(repo, 'AGENTS.md');
    writeFileSync(path, `Rule: keep it short.\n${'é'.repeat(40_000)}`);
    truncateSync(path, 600 * 1024 * 1024);
    const [file] = findContextFiles(repo, home, warn);
    expect(file?.content.startsWith('Rule: keep it short.\n')).toBe(true);
    expect(file?.content.endsWith('\n\n[Truncated: the file is longer than 64 KB.]')).toBe(true);
    // Cut on a character boundary: no half "é" becomes a replacement character.
    expect(file?.content).not.toContain('\uFFFD');
  });
});

function canMakeDevices(): boolean {
  const probe = join(tmpdir(), `qcore-mknod-${process.pid}`);
  try {
    execFileSync('mknod', [probe, 'c', '1', '5'], { stdio: 'ignore' });
    rmSync(probe);
    return true;
  } catch {
    return false;
  }
}
