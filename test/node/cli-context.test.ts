import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
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
