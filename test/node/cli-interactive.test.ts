/**
 * The interactive mode in a real pseudo-terminal: keys in, screen out.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type MockServer, startMockServer } from '../../testing/mock-server.js';
import type { MockRequest, MockScript } from '../../testing/script.js';
import { type PtySession, startInPty } from './cli-support/pty.js';
import { removeTempProjects, tempProject } from './cli-support/run-cli.js';
import { body, conversationText, textReply, toolReply } from './cli-support/wire.js';

let mock: MockServer;
beforeAll(async () => {
  mock = await startMockServer();
});
afterAll(async () => {
  await mock.close();
  removeTempProjects();
});

/** Starts the CLI in a terminal that goes away with the test, so a failure never leaves it waiting. */
function start(context: { onTestFinished(fn: () => void): void }, ...args: Parameters<typeof startInPty>): PtySession {
  const pty = startInPty(...args);
  context.onTestFinished(() => pty.kill());
  return pty;
}

const PROMPT = '› ';
// biome-ignore lint/suspicious/noControlCharactersInRegex: looking for colour codes is the point
const SGR = /\x1b\[[0-9;]*m/;

function setup(turns: MockScript['turns'], env: NodeJS.ProcessEnv = {}) {
  const session = mock.session({ turns });
  const project = tempProject({ 'README.md': '# Terminal test\nSecond line.\n' }, { ANTHROPIC_API_KEY: 'k', ...env });
  return { session, project, flags: ['--base-url', session.baseUrl] };
}

/** Fails the test with the screen, rather than hanging, when the CLI does not exit. */
async function exitCode(pty: PtySession): Promise<number | null> {
  const timer = setTimeout(() => pty.kill(), 10_000);
  try {
    return await pty.exit;
  } finally {
    clearTimeout(timer);
  }
}

describe.concurrent('interactive mode', { timeout: 45_000 }, () => {
  test('streams thinking and text, shows a tool line and a usage line, keeps history; /exit exits 0', async (context) => {
    const { session, project, flags } = setup([
      {
        content: [
          { type: 'thinking', thinking: 'Plan: read the README.' },
          { type: 'text', text: 'Let me read it.' },
          { type: 'toolCall', id: 'toolu_1', name: 'read', arguments: { path: 'README.md' } },
        ],
        stopReason: 'toolUse',
        usage: { input: 1200, output: 40 },
        deltaSize: 3,
      },
      {
        content: [{ type: 'text', text: 'The README has a title and one more line.' }],
        usage: { input: 1300, output: 60 },
      },
    ]);
    const pty = start(context, project, flags);
    let at = await pty.waitFor(PROMPT);
    pty.type('Explain the README\r');
    at = await pty.waitFor('The README has a title and one more line.', at);
    at = await pty.waitFor(/↑2\.5k ↓100 \$\d\.\d{4}/, at);
    await pty.waitFor(PROMPT, at);

    const screen = pty.text();
    expect(screen).toContain('Plan: read the README.');
    expect(screen).toContain('Let me read it.');
    expect(screen).toMatch(/\n\[read\] README\.md\n {2}✓ 2 lines\n/);
    // Colour on a terminal: the tool name in cyan, thinking dimmed.
    expect(pty.raw()).toContain('\x1b[36m[read]\x1b[39m');
    expect(pty.raw()).toContain('\x1b[2mPla');
    expect(conversationText(session.requests[1])).toContain('Second line.');

    pty.type('/session\r');
    at = await pty.waitFor('messages: 4', at);
    pty.type('/cost\r');
    at = await pty.waitFor('2 model calls in this conversation', at);
    pty.type('/clear\r');
    at = await pty.waitFor('new conversation', at);
    pty.type('/session\r');
    at = await pty.waitFor('messages: 0', at);
    pty.type('/exit\r');
    expect(await exitCode(pty)).toBe(0);
    // Oldest first, a repeated line kept only where it was last typed.
    expect(readFileSync(join(project.home, 'history'), 'utf8')).toBe(
      'Explain the README\n/cost\n/clear\n/session\n/exit\n',
    );
  });

  test('Ctrl-C aborts a stalled turn and the prompt comes back; --hide-thinking hides; two Ctrl-C quit', async (context) => {
    const { session, project, flags } = setup([
      {
        content: [{ type: 'text', text: 'Working on it, slowly' }],
        fault: { type: 'stall', afterEvents: 4 },
        deltaSize: 5,
      },
      {
        content: [
          { type: 'thinking', thinking: 'Hidden plan.' },
          { type: 'text', text: 'Second answer.' },
        ],
      },
    ]);
    const pty = start(context, project, [...flags, '--thinking', 'off', '--hide-thinking']);
    let at = await pty.waitFor(PROMPT);
    pty.type('first question\r');
    at = await pty.waitFor('Worki', at);
    pty.type('\x03');
    at = await pty.waitFor('aborted', at);
    at = await pty.waitFor(PROMPT, at);

    pty.type('second question\r');
    at = await pty.waitFor('Second answer.', at);
    at = await pty.waitFor(PROMPT, at);
    expect(conversationText(session.requests[1])).toContain('first question');
    expect(pty.text()).not.toContain('Hidden plan.');

    pty.type('\x03');
    at = await pty.waitFor('Ctrl-C again to quit', at);
    pty.type('\x03');
    expect(await exitCode(pty)).toBe(0);
  });

  test('a line typed during a run is queued as steering; /model switches; NO_COLOR and model text bring no colour', async (context) => {
    const { session, project, flags } = setup(
      [
        toolReply({ name: 'bash', arguments: { command: 'sleep 1.5; echo slept' } }),
        (request: MockRequest) =>
          textReply(conversationText(request).includes('also list the files') ? 'Steered: yes.' : 'Steered: no.'),
        // Escape codes from the model are shown inert, never obeyed.
        textReply('From \x1b[31mhaiku\x1b[0m.'),
      ],
      { NO_COLOR: '1' },
    );
    const pty = start(context, project, [...flags, '--thinking', 'off', '--approval', 'yolo']);
    let at = await pty.waitFor(PROMPT);
    pty.type('run the slow thing\r');
    at = await pty.waitFor('[bash] sleep 1.5; echo slept', at);
    pty.type('also list the files\r');
    at = await pty.waitFor('queued: also list the files', at);
    at = await pty.waitFor('Steered: yes.', at);
    expect(pty.text()).toMatch(/✓ exit 0, 1 line of output/);
    at = await pty.waitFor(PROMPT, at);

    pty.type('/model claude-haiku-4-5\r');
    at = await pty.waitFor('switched to anthropic/claude-haiku-4-5', at);
    pty.type('who are you\r');
    at = await pty.waitFor('From [31mhaiku[0m.', at);
    expect(body(session.requests[2]).model).toBe('claude-haiku-4-5');

    pty.type('\x04');
    expect(await exitCode(pty)).toBe(0);
    expect(pty.raw()).not.toMatch(SGR);
  });
});

describe.concurrent('interactive mode: thinking and compaction', { timeout: 45_000 }, () => {
  test('/thinking high reaches the next request; /compact summarizes with what to keep, shows the saving, and the session records it', async (context) => {
    const { session, project, flags } = setup([
      textReply('First answer.', { input: 5_000, output: 20 }),
      textReply('Second answer.', { input: 5_200, output: 20 }),
      textReply('## Goal\nKeep the API names.'),
      textReply('After the compaction.'),
    ]);
    const pty = start(context, project, [...flags, '--thinking', 'off']);
    let at = await pty.waitFor(PROMPT);
    pty.type('first question\r');
    at = await pty.waitFor('First answer.', at);
    at = await pty.waitFor(PROMPT, at);
    pty.type('/thinking high\r');
    at = await pty.waitFor('thinking level: high', at);
    pty.type('second question\r');
    at = await pty.waitFor('Second answer.', at);
    expect(body(session.requests[0]).thinking).toBeUndefined();
    expect(body(session.requests[1]).thinking).toMatchObject({ type: expect.stringMatching(/enabled|adaptive/) });
    at = await pty.waitFor(PROMPT, at);

    pty.type('/session\r');
    at = await pty.waitFor(/context: 5\.\dk of \S+ tokens \(\d+%\)/, at);
    pty.type('/compact keep the API names\r');
    at = await pty.waitFor(/compacted 5\.\dk → [\d.]+k? tokens/, at);
    const summaryRequest = JSON.stringify(body(session.requests[2]));
    expect(summaryRequest).toContain('You write the summary');
    expect(summaryRequest).toContain('keep the API names');
    at = await pty.waitFor(PROMPT, at);
    pty.type('third question\r');
    at = await pty.waitFor('After the compaction.', at);
    expect(conversationText(session.requests[3])).toContain('Keep the API names.');

    pty.type('\x04');
    expect(await exitCode(pty)).toBe(0);
    const [file] = readdirSync(join(project.home, 'sessions'));
    const entries = readFileSync(join(project.home, 'sessions', file as string), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { type: string; firstKeptIndex?: number; summary?: string });
    const compaction = entries.find((entry) => entry.type === 'compaction');
    expect(compaction).toMatchObject({ summary: '## Goal\nKeep the API names.', firstKeptIndex: 2 });
    // The file keeps every message: the compacted ones too.
    expect(entries.filter((entry) => entry.type === 'message')).toHaveLength(6);
  });
});
