/**
 * What a person sees in the terminal (#12, "Seeing"): the CLI runs in a real
 * pseudo-terminal, its output is replayed into a headless xterm.js, and the
 * assertions are on that screen: diffs, markdown, failed commands, thinking.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { renderMarkdown } from '../../adapters/node/cli/markdown/stream.js';
import { markdownTheme } from '../../adapters/node/cli/markdown/theme.js';
import { type MockServer, startMockServer } from '../../testing/mock-server.js';
import type { MockScript } from '../../testing/script.js';
import { type PtySession, startInPty } from './cli-support/pty.js';
import { removeTempProjects, runCli, tempProject } from './cli-support/run-cli.js';
import { PTY_COLUMNS, screenOf } from './cli-support/screen.js';
import { textReply, toolReply } from './cli-support/wire.js';

let mock: MockServer;
beforeAll(async () => {
  mock = await startMockServer();
});
afterAll(async () => {
  await mock.close();
  removeTempProjects();
});

const PROMPT = '› ';
const RED = 1;
const GREEN = 2;
const MAGENTA = 5;

const DOC = [
  '# Release plan',
  '',
  'Ship **three** fixes, in *this* order:',
  '',
  '- the parser',
  '- the `--json` flag',
  '',
  '| step | owner | days |',
  '|:-----|:------|-----:|',
  '| parse | 李雷 | 2 |',
  '| ship | Ann | 10 |',
  '',
  '```ts',
  'const days: number = 12; // in total',
  '```',
  '',
  'See [the notes](https://example.com/notes).',
].join('\n');

function start(context: { onTestFinished(fn: () => void): void }, ...args: Parameters<typeof startInPty>): PtySession {
  const pty = startInPty(...args);
  context.onTestFinished(() => pty.kill());
  return pty;
}

function setup(turns: MockScript['turns'], files: Record<string, string> = {}, env: NodeJS.ProcessEnv = {}) {
  const session = mock.session({ turns });
  const project = tempProject(files, { ANTHROPIC_API_KEY: 'k', ...env });
  return { session, project, flags: ['--base-url', session.baseUrl, '--approval', 'yolo'] };
}

describe.concurrent('what the terminal shows', { timeout: 45_000 }, () => {
  test('an edit shows its diff, coloured and capped with the rest counted; /expand shows it whole', async (context) => {
    const lines = Array.from({ length: 100 }, (_, i) => `line ${i + 1}`);
    const oldText = lines.slice(4, 34).join('\n');
    const { project, flags } = setup(
      [
        toolReply({ name: 'edit', arguments: { path: 'big.txt', oldText, newText: oldText.toUpperCase() } }),
        textReply('Edited.'),
      ],
      { 'big.txt': `${lines.join('\n')}\n` },
    );
    const pty = start(context, project, flags);
    let at = await pty.waitFor(PROMPT);
    pty.type('shout lines 5 to 34\r');
    at = await pty.waitFor('Edited.', at);
    at = await pty.waitFor(PROMPT, at);

    let screen = await screenOf(pty.raw());
    expect(screen.lines).toContain('  ✓ 1 replacement at line 5');
    expect(screen.lines).toContain('    @@ -3,34 +3,34 @@');
    expect(screen.lines).toContain('    -line 5');
    expect(screen.lines).toContain('    +LINE 5');
    expect(screen.colorOf('-line 5')).toBe(RED);
    expect(screen.colorOf('+LINE 5')).toBe(GREEN);
    // 65 lines of diff: 40 shown, the rest counted.
    expect(screen.lines).toContain('    … 25 more lines (/expand shows them)');
    expect(screen.text).not.toContain('+LINE 34');

    pty.type('/expand\r');
    at = await pty.waitFor('+LINE 34', at);
    screen = await screenOf(pty.raw());
    expect(screen.lines).toContain('    +LINE 34');
    expect(screen.lines).toContain('     line 36');
    pty.type('/exit\r');
  });

  test('a write shows the diff of the old content against the new', async (context) => {
    const { project, flags } = setup(
      [
        toolReply({ name: 'write', arguments: { path: 'notes.txt', content: 'alpha\nBETA\ngamma\n' } }),
        textReply('Written.'),
      ],
      { 'notes.txt': 'alpha\nbeta\ngamma\n' },
    );
    const pty = start(context, project, flags);
    let at = await pty.waitFor(PROMPT);
    pty.type('shout beta\r');
    at = await pty.waitFor('Written.', at);
    const screen = await screenOf(pty.raw());
    expect(screen.lines).toContain('  ✓ 17 B');
    expect(screen.lines).toContain('    -beta');
    expect(screen.lines).toContain('    +BETA');
    expect(screen.lines).toContain('     alpha');
    expect(screen.colorOf('-beta')).toBe(RED);
    expect(screen.colorOf('+BETA')).toBe(GREEN);
    pty.type('/exit\r');
  });

  test('markdown renders as it streams in small deltas, and leaves no artefacts', async (context) => {
    const { project, flags } = setup([{ content: [{ type: 'text', text: DOC }], deltaSize: 3 }]);
    const pty = start(context, project, flags);
    let at = await pty.waitFor(PROMPT);
    pty.type('the plan?\r');
    at = await pty.waitFor('(https://example.com/notes)', at);
    at = await pty.waitFor(PROMPT, at);

    const screen = await screenOf(pty.raw());
    const expected = (await screenOf(renderMarkdown(DOC, { theme: markdownTheme(true), columns: PTY_COLUMNS }))).lines;
    const first = screen.lines.indexOf('Release plan');
    expect(first).toBeGreaterThan(0);
    // Exactly the rendered document, line for line: no preview rows or raw markdown left behind.
    expect(screen.lines.slice(first, first + expected.length)).toEqual(expected);
    expect(expected).toContain('Ship three fixes, in this order:');
    expect(expected).toContain('• the --json flag');
    expect(expected).toContain('│ parse │ 李雷  │    2 │');
    expect(expected).toContain('│ ship  │ Ann   │   10 │');
    expect(screen.colorOf('const days')).toBe(MAGENTA);
    expect(screen.text).not.toMatch(/\*\*|```|\|:---/);
    expect(pty.raw()).toContain('\x1b[1mthree\x1b[22m');
    pty.type('/exit\r');
  });

  test('print mode into a pipe writes the markdown as it is', async () => {
    const { project, flags } = setup([{ content: [{ type: 'text', text: DOC }], deltaSize: 3 }]);
    const result = await runCli(project, [...flags, '-p', 'the plan?']);
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe(`${DOC}\n`);
  });

  test("a failing node script shows the error and the lines before it, not Node's version footer", async (context) => {
    const { project, flags } = setup([
      toolReply({ name: 'bash', arguments: { command: `node -e 'throw new Error("boom")'` } }),
      textReply('It threw.'),
    ]);
    const pty = start(context, project, flags);
    let at = await pty.waitFor(PROMPT);
    pty.type('run it\r');
    at = await pty.waitFor('It threw.', at);
    const screen = await screenOf(pty.raw());
    expect(screen.lines).toContain('  ✗ exit 1: Error: boom');
    expect(screen.lines).toContain('    throw new Error("boom")');
    expect(screen.text).not.toContain('Node.js v20');
    pty.type('/exit\r');
  });

  test('thinking is marked without colour; /expand shows a long command output whole', async (context) => {
    const { project, flags } = setup(
      [
        {
          content: [
            { type: 'thinking', thinking: 'Plan: count.\nThen report.' },
            { type: 'toolCall', id: 'toolu_1', name: 'bash', arguments: { command: 'seq 1 300' } },
          ],
          stopReason: 'toolUse',
          deltaSize: 4,
        },
        textReply('Counted.'),
      ],
      {},
      { NO_COLOR: '1' },
    );
    const pty = start(context, project, flags);
    let at = await pty.waitFor(PROMPT);
    pty.type('count\r');
    at = await pty.waitFor('Counted.', at);
    at = await pty.waitFor(PROMPT, at);
    let screen = await screenOf(pty.raw());
    expect(screen.lines).toContain('│ Plan: count.');
    expect(screen.lines).toContain('│ Then report.');
    // biome-ignore lint/suspicious/noControlCharactersInRegex: looking for colour codes is the point
    expect(pty.raw()).not.toMatch(/\x1b\[[0-9;]*m/);
    expect(screen.lines).toContain('  ✓ exit 0, 300 lines of output');
    expect(screen.lines).not.toContain('300');

    pty.type('/expand\r');
    at = await pty.waitFor(/299\r?\n300\r?\n/, at);
    screen = await screenOf(pty.raw());
    const from = screen.lines.lastIndexOf('[bash] seq 1 300');
    expect(screen.lines.slice(from + 1, from + 301)).toEqual(Array.from({ length: 300 }, (_, i) => String(i + 1)));
    pty.type('/exit\r');
  });
});
