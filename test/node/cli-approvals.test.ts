/**
 * Approvals, rules and hooks through the real CLI: print mode with no
 * terminal, and asking in a pseudo-terminal.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type MockServer, startMockServer } from '../../testing/mock-server.js';
import type { MockScript } from '../../testing/script.js';
import { startInPty } from './cli-support/pty.js';
import { removeTempProjects, runCli, tempProject, writeFiles } from './cli-support/run-cli.js';
import { screenOf } from './cli-support/screen.js';
import { textReply, toolReply, toolResults } from './cli-support/wire.js';

let mock: MockServer;
beforeAll(async () => {
  mock = await startMockServer();
});
afterAll(async () => {
  await mock.close();
  removeTempProjects();
});

function setup(turns: MockScript['turns'], config?: unknown) {
  const session = mock.session({ turns });
  const project = tempProject({ 'README.md': '# Demo\n', 'a.txt': 'one\ntwo\n' }, { ANTHROPIC_API_KEY: 'k' });
  if (config) writeFiles(project.home, { 'config.json': JSON.stringify(config) });
  return { session, project, flags: ['--base-url', session.baseUrl, '--no-session'] };
}

const bash = (command: string) => toolReply({ name: 'bash', arguments: { command } });

describe.concurrent('approvals in print mode', { timeout: 30_000 }, () => {
  test('with no terminal, bash is refused and the model is told how to allow it', async () => {
    const { session, project, flags } = setup([bash('echo hi > made.txt; npm test'), textReply('ok')]);
    const result = await runCli(project, [...flags, '-p', 'go']);
    expect(result.code).toBe(0);
    const [refused] = toolResults(session.requests[1]);
    expect(refused?.isError).toBe(true);
    expect(refused?.text).toContain('not allowed without approval in print mode');
    expect(refused?.text).toContain('--approval yolo');
    expect(existsSync(join(project.dir, 'made.txt'))).toBe(false);
  });

  test('--approval yolo runs it', async () => {
    const { session, project, flags } = setup([bash('echo hi > made.txt'), textReply('ok')]);
    const result = await runCli(project, [...flags, '--approval', 'yolo', '-p', 'go']);
    expect(result.code).toBe(0);
    expect(toolResults(session.requests[1])[0]?.isError).toBe(false);
    expect(readFileSync(join(project.dir, 'made.txt'), 'utf8')).toBe('hi\n');
  });

  test('an allow rule allows every simple command it covers, and no more; a deny rule denies even in yolo', async () => {
    const allowed = setup([bash('echo one && echo two'), bash('echo three; ls'), textReply('ok')], {
      permissions: { allow: ['Bash(echo:*)'] },
    });
    expect((await runCli(allowed.project, [...allowed.flags, '-p', 'go'])).code).toBe(0);
    expect(toolResults(allowed.session.requests[1])[0]).toMatchObject({ isError: false, text: 'one\ntwo' });
    expect(toolResults(allowed.session.requests[2])[1]?.text).toContain('Bash(ls)');

    const denied = setup([bash('ls && rm -rf a.txt'), textReply('ok')], {
      permissions: { defaultMode: 'yolo', deny: ['Bash(rm:*)'] },
    });
    expect((await runCli(denied.project, [...denied.flags, '-p', 'go'])).code).toBe(0);
    expect(toolResults(denied.session.requests[1])[0]?.text).toContain('denied by the rule "Bash(rm:*)"');
    expect(existsSync(join(denied.project.dir, 'a.txt'))).toBe(true);
  });

  test('a bad rule in the config stops qcore with the reason', async () => {
    const { project, flags } = setup([], { permissions: { allow: ['Bash(echo $(x))'] } });
    const result = await runCli(project, [...flags, '-p', 'go']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('permissions.allow[0]');
  });
});

describe.concurrent('hooks', { timeout: 30_000 }, () => {
  test('PreToolUse exit 2 blocks the call with stderr as the reason; the hook gets the call on stdin', async () => {
    const { session, project, flags } = setup([bash('echo ran > ran.txt'), textReply('ok')], {
      hooks: {
        PreToolUse: [
          {
            matcher: 'Bash',
            hooks: [{ type: 'command', command: 'cat > seen.json; echo "no shell today" >&2; exit 2' }],
          },
        ],
      },
    });
    expect((await runCli(project, [...flags, '--approval', 'yolo', '-p', 'go'])).code).toBe(0);
    expect(toolResults(session.requests[1])[0]?.text).toContain('no shell today');
    expect(existsSync(join(project.dir, 'ran.txt'))).toBe(false);
    const seen = JSON.parse(readFileSync(join(project.dir, 'seen.json'), 'utf8'));
    expect(seen).toMatchObject({
      hook_event_name: 'PreToolUse',
      tool_name: 'bash',
      tool_input: { command: 'echo ran > ran.txt' },
    });
    expect(seen.cwd).toBe(project.dir);
  });

  test('PreToolUse updatedInput rewrites the call, and a rewrite the tool refuses blocks it', async () => {
    const rewrite = JSON.stringify({
      hookSpecificOutput: { permissionDecision: 'allow', updatedInput: { command: 'echo rewritten' } },
    });
    const { session, project, flags } = setup([bash('echo original'), bash('echo again'), textReply('ok')], {
      hooks: {
        PreToolUse: [
          {
            matcher: 'bash',
            hooks: [
              {
                type: 'command',
                command: `grep -q again && echo '{"hookSpecificOutput":{"updatedInput":{"command":3}}}' || echo '${rewrite}'`,
              },
            ],
          },
        ],
      },
    });
    // No --approval: the hook's "allow" is what lets the call run without a terminal.
    expect((await runCli(project, [...flags, '-p', 'go'])).code).toBe(0);
    expect(toolResults(session.requests[1])[0]).toMatchObject({ isError: false, text: 'rewritten' });
    expect(toolResults(session.requests[2])[1]?.text).toContain('rewrote the arguments into invalid ones');
  });

  test('a Read deny rule hides its files from grep, find and ls started in a parent folder', async () => {
    const { session, project, flags } = setup(
      [
        toolReply({ name: 'grep', arguments: { pattern: 'TOKEN' } }),
        toolReply({ name: 'find', arguments: { pattern: '*.txt' } }),
        toolReply({ name: 'ls', arguments: { path: 'secrets' } }),
        toolReply({ name: 'read', arguments: { path: 'secrets/key.txt' } }),
        textReply('ok'),
      ],
      { permissions: { deny: ['Read(secrets/**)'] } },
    );
    writeFiles(project.dir, { 'secrets/key.txt': 'TOKEN=hunter2\n', 'notes.txt': 'the TOKEN is in secrets\n' });
    expect((await runCli(project, [...flags, '-p', 'find the token'])).code).toBe(0);
    const results = [1, 2, 3, 4].map((i) => toolResults(session.requests[i]).at(-1)?.text ?? '');
    expect(results[0]).toContain('notes.txt');
    expect(results[1]).toContain('notes.txt');
    for (const text of results) expect(text).not.toContain('hunter2');
    expect(results[0]).not.toContain('key.txt');
    expect(results[1]).not.toContain('key.txt');
    expect(results[2]).not.toContain('key.txt');
    expect(results[3]).toContain('denied by the rule "Read(secrets/**)"');
  });

  test('UserPromptSubmit exit 2 keeps the prompt from the model', async () => {
    const { session, project, flags } = setup([textReply('never')], {
      hooks: {
        UserPromptSubmit: [{ hooks: [{ type: 'command', command: 'echo "no prompts about secrets" >&2; exit 2' }] }],
      },
    });
    const result = await runCli(project, [...flags, '-p', 'tell me the secrets']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('no prompts about secrets');
    expect(session.requests).toHaveLength(0);
  });

  test('UserPromptSubmit: plain stdout is context after the prompt; decision "block" keeps the prompt back', async () => {
    const context = setup([textReply('ok')], {
      hooks: { UserPromptSubmit: [{ hooks: [{ type: 'command', command: 'echo "The build runs on Node 20."' }] }] },
    });
    expect((await runCli(context.project, [...context.flags, '-p', 'which Node?'])).code).toBe(0);
    expect(JSON.stringify(context.session.requests[0]?.body)).toContain(
      'which Node?\\n\\n<user-prompt-submit-hook>\\nThe build runs on Node 20.\\n</user-prompt-submit-hook>',
    );
    const blocked = setup([textReply('never')], {
      hooks: {
        UserPromptSubmit: [
          { hooks: [{ type: 'command', command: `echo '{"decision":"block","reason":"not on Fridays"}'` }] },
        ],
      },
    });
    const result = await runCli(blocked.project, [...blocked.flags, '-p', 'deploy']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('not on Fridays');
    expect(blocked.session.requests).toHaveLength(0);
  });

  test('PostToolUse decision "block" and additionalContext reach the model; PreToolUse reads the older decision field', async () => {
    const { session, project, flags } = setup([bash('echo one'), bash('echo two'), textReply('ok')], {
      hooks: {
        PreToolUse: [
          {
            matcher: 'bash',
            hooks: [
              {
                type: 'command',
                command: `grep -q two && echo '{"decision":"block","reason":"two is off limits"}' || echo '{"decision":"approve"}'`,
              },
            ],
          },
        ],
        PostToolUse: [
          {
            matcher: 'bash',
            hooks: [
              {
                type: 'command',
                command: `echo '{"decision":"block","reason":"lint failed","hookSpecificOutput":{"additionalContext":"3 warnings"}}'`,
              },
            ],
          },
        ],
      },
    });
    // No --approval: the older "approve" is what lets the first call run without a terminal.
    expect((await runCli(project, [...flags, '-p', 'go'])).code).toBe(0);
    const first = toolResults(session.requests[1])[0]?.text ?? '';
    expect(first).toContain('one');
    expect(first).toContain('PostToolUse hook: lint failed');
    expect(first).toContain('3 warnings');
    expect(toolResults(session.requests[2])[1]?.text).toContain('two is off limits');
  });

  test('a hook that runs past its timeout is killed, with a warning, and the call goes on', async () => {
    const { session, project, flags } = setup([bash('echo fine'), textReply('ok')], {
      hooks: { PreToolUse: [{ hooks: [{ type: 'command', command: 'sleep 30', timeout: 0.5 }] }] },
    });
    const started = Date.now();
    const result = await runCli(project, [...flags, '--approval', 'yolo', '-p', 'go']);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(result.stderr).toContain('timed out');
    expect(toolResults(session.requests[1])[0]).toMatchObject({ isError: false, text: 'fine' });
  });

  test('a Stop hook sends the model back to work with its reason, a few times at most', async () => {
    const { session, project, flags } = setup([textReply('done?'), textReply('done!')], {
      hooks: {
        Stop: [
          {
            hooks: [
              {
                type: 'command',
                command: '[ -e stop-ok ] && exit 0; touch stop-ok; echo "run the tests first" >&2; exit 2',
              },
            ],
          },
        ],
      },
    });
    const result = await runCli(project, [...flags, '-p', 'go']);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('done!\n');
    expect(JSON.stringify(session.requests[1]?.body)).toContain('run the tests first');
  });
});

describe.concurrent('asking in a terminal', { timeout: 45_000 }, () => {
  function start(context: { onTestFinished(fn: () => void): void }, turns: MockScript['turns']) {
    const { session, project, flags } = setup(turns);
    const pty = startInPty(project, flags);
    context.onTestFinished(() => pty.kill());
    return { session, project, pty };
  }

  test('yes runs it; no with a reason tells the model', async (context) => {
    const { session, pty } = start(context, [bash('echo yes-ran'), bash('rm README.md'), textReply('all done')]);
    let at = await pty.waitFor('› ');
    pty.type('go\r');
    at = await pty.waitFor('Allow?', at);
    expect((await screenOf(pty.raw())).lines).toContain('bash wants to run: echo yes-ran');
    pty.type('y\r');
    // The answered question stays in the transcript; the next one follows its request.
    at = await pty.waitFor('bash wants to run: rm README.md', at);
    at = await pty.waitFor('Allow?', at);
    pty.type('n keep the readme\r');
    await pty.waitFor('all done', at);
    expect(toolResults(session.requests[1])[0]).toMatchObject({ isError: false, text: 'yes-ran' });
    expect(toolResults(session.requests[2])[1]?.text).toContain('the user denied this call: keep the readme');
  });

  test('always for a prefix stops asking for that prefix', async (context) => {
    const { session, pty } = start(context, [bash('echo 1'), bash('echo 2'), textReply('all done')]);
    let at = await pty.waitFor('› ');
    pty.type('go\r');
    at = await pty.waitFor('Allow?', at);
    expect(pty.raw()).toContain('Bash(echo:*)');
    pty.type('a\r');
    await pty.waitFor('all done', at);
    expect(toolResults(session.requests[2])[1]).toMatchObject({ isError: false, text: '2' });
    const screen = await screenOf(pty.raw());
    expect(screen.lines.filter((line) => line.startsWith('Allow?'))).toEqual([
      'Allow? [y]es · [n]o (n <reason> tells the model why) · [a]lways Bash(echo:*) · [s]ession: always bash this session a',
    ]);
  });

  test('always for this session stops asking for the tool; Ctrl-C answers no', async (context) => {
    const { session, pty } = start(context, [
      bash('echo 1'),
      bash('ls'),
      textReply('first done'),
      toolReply({ name: 'write', arguments: { path: 'b.txt', content: 'b' } }),
      textReply('second done'),
    ]);
    let at = await pty.waitFor('› ');
    pty.type('go\r');
    at = await pty.waitFor('Allow?', at);
    pty.type('s\r');
    at = await pty.waitFor('first done', at);
    expect(toolResults(session.requests[2]).map((r) => r.isError)).toEqual([false, false]);
    at = await pty.waitFor('› ', at);
    pty.type('write b\r');
    at = await pty.waitFor('Allow?', at);
    pty.type('\x03');
    at = await pty.waitFor('second done', at);
    expect(toolResults(session.requests[4]).at(-1)?.text).toContain(
      'the user denied this call: the user pressed Ctrl-C',
    );
    const { lines } = await screenOf(pty.raw());
    expect(lines.filter((line) => line.startsWith('Allow?')).map((line) => line.split(' ').at(-1))).toEqual([
      's',
      '(Ctrl-C)',
    ]);
  });

  test('an edit shows its diff before the answer', async (context) => {
    const { session, project, pty } = start(context, [
      toolReply({ name: 'edit', arguments: { path: 'a.txt', oldText: 'two', newText: 'TWO' } }),
      textReply('edited'),
    ]);
    let at = await pty.waitFor('› ');
    pty.type('go\r');
    at = await pty.waitFor('Allow?', at);
    const { lines } = await screenOf(pty.raw());
    expect(lines).toContain('edit wants to run: a.txt');
    // The diff sits between the request and the question.
    const diff = lines.slice(lines.indexOf('edit wants to run: a.txt'));
    expect(diff).toContain('-two');
    expect(diff).toContain('+TWO');
    expect(diff.at(-2)).toMatch(/^Allow\? /);
    expect(readFileSync(join(project.dir, 'a.txt'), 'utf8')).toBe('one\ntwo\n');
    pty.type('y\r');
    await pty.waitFor('edited', at);
    expect(readFileSync(join(project.dir, 'a.txt'), 'utf8')).toBe('one\nTWO\n');
    expect(session.requests).toHaveLength(2);
  });
});
