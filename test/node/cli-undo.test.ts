/**
 * `/undo` in the interactive mode, in a real pseudo-terminal.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type MockServer, startMockServer } from '../../testing/mock-server.js';
import { startInPty } from './cli-support/pty.js';
import { removeTempProjects, tempProject } from './cli-support/run-cli.js';
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

describe('/undo', { timeout: 45_000 }, () => {
  test("restores the files the last prompt's edit and write changed, deletes the new one, leaves bash's", async (context) => {
    const session = mock.session({
      turns: [
        toolReply(
          { name: 'edit', arguments: { path: 'a.txt', oldText: 'one', newText: 'ONE' } },
          { name: 'write', arguments: { path: 'notes/new.txt', content: 'brand new\n' } },
          { name: 'bash', arguments: { command: 'echo from-bash > bash.txt' } },
        ),
        textReply('Changed them.'),
      ],
    });
    const project = tempProject({ 'a.txt': 'one\ntwo\n' }, { ANTHROPIC_API_KEY: 'k' });
    const pty = startInPty(project, ['--base-url', session.baseUrl, '--approval', 'yolo']);
    context.onTestFinished(() => pty.kill());
    let at = await pty.waitFor(PROMPT);
    pty.type('Change the files\r');
    at = await pty.waitFor('Changed them.', at);
    at = await pty.waitFor(PROMPT, at);
    expect(readFileSync(join(project.dir, 'a.txt'), 'utf8')).toBe('ONE\ntwo\n');
    expect(readFileSync(join(project.dir, 'notes/new.txt'), 'utf8')).toBe('brand new\n');

    pty.type('/undo\r');
    at = await pty.waitFor(/changes made by bash are not undone/i, at);
    const screen = pty.text();
    expect(screen).toMatch(/restored a\.txt/);
    expect(screen).toMatch(/deleted notes\/new\.txt/);
    expect(readFileSync(join(project.dir, 'a.txt'), 'utf8')).toBe('one\ntwo\n');
    expect(existsSync(join(project.dir, 'notes/new.txt'))).toBe(false);
    expect(existsSync(join(project.dir, 'notes'))).toBe(false);
    expect(readFileSync(join(project.dir, 'bash.txt'), 'utf8')).toBe('from-bash\n');

    pty.type('/undo\r');
    await pty.waitFor(/nothing to undo/, at);
    pty.type('/exit\r');
    expect(await pty.exit).toBe(0);
  });
});
