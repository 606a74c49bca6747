/**
 * The interactive input layer in a real pseudo-terminal, asserted on the
 * screen a headless xterm.js draws from the output: a paste is one prompt,
 * typing while the agent streams stays in the prompt line, Alt-Enter adds
 * a line, Tab completes, the status line shows the session, Ctrl-O expands.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type MockServer, startMockServer } from '../../testing/mock-server.js';
import type { MockScript } from '../../testing/script.js';
import { type PtySession, startInPty } from './cli-support/pty.js';
import { removeTempProjects, tempProject } from './cli-support/run-cli.js';
import { screenOf } from './cli-support/screen.js';
import { conversationText, textReply, toolReply } from './cli-support/wire.js';

let mock: MockServer;
beforeAll(async () => {
  mock = await startMockServer();
});
afterAll(async () => {
  await mock.close();
  removeTempProjects();
});

const PROMPT = '› ';

function start(context: { onTestFinished(fn: () => void): void }, ...args: Parameters<typeof startInPty>): PtySession {
  const pty = startInPty(...args);
  context.onTestFinished(() => pty.kill());
  return pty;
}

function setup(turns: MockScript['turns']) {
  const session = mock.session({ turns });
  const project = tempProject(
    { 'README.md': '# Terminal\nSecond line.\n', 'src/main.ts': 'export {};\n' },
    { ANTHROPIC_API_KEY: 'k', NO_COLOR: '1' },
  );
  return { session, project, flags: ['--base-url', session.baseUrl, '--thinking', 'off', '--approval', 'yolo'] };
}

describe.concurrent('the interactive input layer', { timeout: 45_000 }, () => {
  test('a pasted stack trace is one prompt, and Alt-Enter adds a line to the next', async (context) => {
    const { session, project, flags } = setup([textReply('One prompt.'), textReply('Two lines.')]);
    const pty = start(context, project, flags);
    let at = await pty.waitFor(PROMPT);
    pty.type('why? \x1b[200~Error: boom\r\n    at f (a.js:1:1)\r\n    at g (b.js:2:2)\x1b[201~\r');
    at = await pty.waitFor('One prompt.', at);
    expect(session.requests).toHaveLength(1);
    expect(conversationText(session.requests[0])).toContain(
      'why? Error: boom\n    at f (a.js:1:1)\n    at g (b.js:2:2)',
    );
    at = await pty.waitFor(PROMPT, at);
    pty.type('first\x1b\rsecond\r');
    at = await pty.waitFor('Two lines.', at);
    expect(conversationText(session.requests[1])).toContain('first\nsecond');
    const screen = await screenOf(pty.raw());
    expect(screen.lines).toContain('› first');
    expect(screen.lines).toContain('  second');
    pty.type('\x04');
    expect(await pty.exit).toBe(0);
  });

  test('typing while the agent streams stays in the prompt line; Enter queues it; the output is not broken up', async (context) => {
    const answer = 'The agent writes this sentence slowly, word by word, while you type below it.';
    const { session, project, flags } = setup([
      { content: [{ type: 'text', text: answer }], deltaSize: 3, paceMs: 40 },
      textReply('Queued line answered.'),
    ]);
    const pty = start(context, project, flags);
    let at = await pty.waitFor(PROMPT);
    pty.type('start\r');
    at = await pty.waitFor('The agent', at);
    pty.type('also check the tests');
    await pty.waitFor('» also check the tests', at);
    let screen = await screenOf(pty.raw());
    // The typed text sits in the prompt line below the streaming answer, never inside it.
    expect(screen.lines.find((line) => line.startsWith('The agent'))).not.toContain('also');
    expect(screen.lines).toContain('» also check the tests');
    pty.type('\r');
    at = await pty.waitFor('queued: also check the tests', at);
    at = await pty.waitFor('Queued line answered.', at);
    screen = await screenOf(pty.raw());
    expect(screen.lines).toContain(answer);
    expect(conversationText(session.requests[1])).toContain('also check the tests');
    pty.type('\x04');
    expect(await pty.exit).toBe(0);
  });

  test('Tab completes slash commands and @paths; the status line shows model, thinking, context, cost and mode', async (context) => {
    const { project, flags } = setup([
      toolReply({ name: 'read', arguments: { path: 'README.md' } }),
      textReply('Read.'),
    ]);
    const pty = start(context, project, flags);
    let at = await pty.waitFor(PROMPT);
    let screen = await screenOf(pty.raw());
    expect(screen.lines.at(-1)).toMatch(/^anthropic\/claude-\S+ · thinking off · context 0% · \$0\.0000 · yolo$/);
    pty.type('/comp\t');
    at = await pty.waitFor('› /compact ', at);
    pty.type('\x15look at @READ\t');
    at = await pty.waitFor('› look at @README.md ', at);
    pty.type('\x15@s\t');
    at = await pty.waitFor('› @src/', at);
    pty.type('\x15read the readme\r');
    at = await pty.waitFor('Read.', at);
    at = await pty.waitFor(PROMPT, at);
    // Ctrl-O: the last tool's whole output.
    pty.type('\x0f');
    at = await pty.waitFor('Second line.', at);
    screen = await screenOf(pty.raw());
    // The cost so far now shows (the window is large, so the context stays near 0%).
    expect(screen.lines.at(-1)).toMatch(/context \d+% · \$0\.(?!0000)\d{4} · yolo$/);
    pty.type('\x04');
    expect(await pty.exit).toBe(0);
  });
});

describe.concurrent('resuming', { timeout: 45_000 }, () => {
  test('--resume lists this directory’s sessions and opens the one chosen, showing where it stopped', async (context) => {
    const { session, project, flags } = setup([
      textReply('First conversation answered.'),
      textReply('Second conversation answered.'),
      textReply('Back in the first one.'),
    ]);
    const { runCli } = await import('./cli-support/run-cli.js');
    expect((await runCli(project, [...flags, '-p', 'the first conversation'])).code).toBe(0);
    // The clock orders sessions; a little apart so the second is the newest.
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect((await runCli(project, [...flags, '-p', 'the second conversation'])).code).toBe(0);
    const pty = start(context, project, [...flags, '--resume']);
    let at = await pty.waitFor('Resume which?');
    const screen = await screenOf(pty.raw());
    expect(screen.lines.some((line) => /^ 1 {2}\S+ \S+ {2}the second conversation {2}2 messages$/.test(line))).toBe(
      true,
    );
    expect(screen.lines.some((line) => /^ 2 {2}\S+ \S+ {2}the first conversation {2}2 messages$/.test(line))).toBe(
      true,
    );
    pty.type('9\r');
    at = await pty.waitFor('choose a number from 1 to 2', at);
    pty.type('2\r');
    at = await pty.waitFor('resumed 2 messages', at);
    at = await pty.waitFor('First conversation answered.', at);
    at = await pty.waitFor(PROMPT, at);
    pty.type('and now?\r');
    await pty.waitFor('Back in the first one.', at);
    expect(conversationText(session.requests[2])).toContain('the first conversation');
    expect(conversationText(session.requests[2])).not.toContain('the second conversation');
    pty.type('\x04');
    expect(await pty.exit).toBe(0);
  });

  test('--resume needs a terminal', async () => {
    const { project } = setup([]);
    const { runCli } = await import('./cli-support/run-cli.js');
    const result = await runCli(project, ['--resume', '-p', 'hi']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--resume asks which session to open');
  });
});
