import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type MockServer, startMockServer } from '../../testing/mock-server.js';
import type { MockScript } from '../../testing/script.js';
import { type Project, removeTempProjects, runCli, startCli, tempProject, waitUntil } from './cli-support/run-cli.js';
import { body, conversationText, textReply, toolReply } from './cli-support/wire.js';

let mock: MockServer;
beforeAll(async () => {
  mock = await startMockServer();
});
afterAll(async () => {
  await mock.close();
  removeTempProjects();
});

function sessionFiles(project: Project): string[] {
  const dir = join(project.home, 'sessions');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => name.endsWith('.jsonl'))
    .map((name) => join(dir, name));
}

function lines(path: string): string[] {
  return readFileSync(path, 'utf8').split('\n').filter(Boolean);
}

function setup(turns: MockScript['turns']) {
  const session = mock.session({ turns });
  const project = tempProject({ 'README.md': '# Sessions\nThe readme text.\n' }, { ANTHROPIC_API_KEY: 'k' });
  return { session, project, flags: ['--base-url', session.baseUrl, '--thinking', 'off'] };
}

describe.concurrent('sessions', { timeout: 30_000 }, () => {
  test('each message is one JSONL line after a header, in a private file', async () => {
    const { project, flags } = setup([textReply('Hello!')]);
    const result = await runCli(project, [...flags, '-p', 'Say hello']);
    expect(result.code).toBe(0);
    const files = sessionFiles(project);
    expect(files).toHaveLength(1);
    const file = files[0] as string;
    expect(file).toMatch(/sessions\/\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-\d{3}Z-[0-9a-f]{8}\.jsonl$/);
    const [header, ...messages] = lines(file).map((line) => JSON.parse(line));
    expect(header).toMatchObject({
      type: 'session',
      version: 1,
      cwd: project.dir,
      provider: 'anthropic',
      model: 'claude-sonnet-4-6',
    });
    expect(Number.isNaN(Date.parse(header.createdAt))).toBe(false);
    expect(messages.map((entry) => [entry.type, entry.message.role])).toEqual([
      ['message', 'user'],
      ['message', 'assistant'],
    ]);
    expect(messages[1].message.content).toEqual([{ type: 'text', text: 'Hello!' }]);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  test('--continue resumes the latest session of this directory, not of another one', async () => {
    const { session, project, flags } = setup([
      textReply('Nice to meet you, Ada.'),
      textReply('Elsewhere.'),
      textReply('Your name is Ada.'),
    ]);
    expect((await runCli(project, [...flags, '-p', 'My name is Ada.'])).code).toBe(0);
    // A newer session in another directory must not be picked.
    const other = join(project.dir, 'other');
    mkdirSync(other);
    expect((await runCli(project, [...flags, '-p', 'Unrelated.'], { cwd: other })).code).toBe(0);
    const resumed = await runCli(project, [...flags, '--continue', '-p', 'What is my name?']);
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toBe('Your name is Ada.\n');
    const third = conversationText(session.requests[2]);
    expect(third).toContain('My name is Ada.');
    expect(third).toContain('Nice to meet you, Ada.');
    expect(third).not.toContain('Unrelated.');
    // The resumed conversation went on in the same file.
    const files = sessionFiles(project);
    expect(files).toHaveLength(2);
    const roles = files.map((file) => lines(file).length).sort();
    expect(roles).toEqual([3, 5]);
  });

  test('--session uses a given file and resumes it; --no-session writes nothing', async () => {
    const { session, project, flags } = setup([textReply('first'), textReply('second'), textReply('third')]);
    expect((await runCli(project, [...flags, '--session', 'mine.jsonl', '-p', 'one'])).code).toBe(0);
    expect((await runCli(project, [...flags, '--session', 'mine.jsonl', '-p', 'two'])).code).toBe(0);
    const file = join(project.dir, 'mine.jsonl');
    expect(lines(file)).toHaveLength(5);
    expect(conversationText(session.requests[1])).toContain('first');
    expect(sessionFiles(project)).toHaveLength(0);

    expect((await runCli(project, [...flags, '--no-session', '-p', 'three'])).code).toBe(0);
    expect(existsSync(join(project.home, 'sessions'))).toBe(false);
    expect(lines(file)).toHaveLength(5);
  });

  test('a corrupt last line is skipped with a warning, and the session goes on', async () => {
    const { session, project, flags } = setup([textReply('Remember: blue.'), textReply('It was blue.')]);
    expect((await runCli(project, [...flags, '-p', 'The colour is blue.'])).code).toBe(0);
    const file = sessionFiles(project)[0] as string;
    appendFileSync(file, '{"type":"message","message":{"role":"us');
    const resumed = await runCli(project, [...flags, '--continue', '-p', 'Which colour?']);
    expect(resumed.code).toBe(0);
    expect(resumed.stderr).toContain('warning: skipped an incomplete last line');
    expect(conversationText(session.requests[1])).toContain('The colour is blue.');
    // New lines start on a line of their own; only the broken one fails to parse.
    const parsed = lines(file).map((line) => {
      try {
        return (JSON.parse(line) as { type: string }).type;
      } catch {
        return 'broken';
      }
    });
    expect(parsed).toEqual(['session', 'message', 'message', 'broken', 'message', 'message']);
  });

  test('lines that are JSON but not messages are skipped with a warning, and the session resumes', async () => {
    const { session, project, flags } = setup([textReply('Noted: green.'), textReply('It was green.')]);
    expect((await runCli(project, [...flags, '-p', 'The colour is green.'])).code).toBe(0);
    const file = sessionFiles(project)[0] as string;
    const [header, user, assistant] = lines(file);
    // Each one would once have been loaded and then broken the next request or the cost line.
    const bad = [
      { type: 'message', message: { role: 'assistant' } },
      { type: 'message', message: { role: 'user', content: 42, timestamp: 1 } },
      { type: 'message', message: { role: 'assistant', content: [{ type: 'text' }], stopReason: 'stop' } },
      { type: 'message', message: { role: 'toolResult', toolCallId: 'x', content: 'not an array' } },
      { type: 'message', message: { ...JSON.parse(assistant as string).message, usage: null } },
      { type: 'message', message: null },
    ].map((entry) => JSON.stringify(entry));
    // A NaN cost was saved as null: the reply is still worth keeping.
    const reply = JSON.parse(assistant as string);
    reply.message.usage.cost.total = null;
    const edited = [header, ...bad.slice(0, 3), user, ...bad.slice(3), JSON.stringify(reply)];
    writeFileSync(file, `${edited.join('\n')}\n`);

    const resumed = await runCli(project, [...flags, '--continue', '-p', 'Which colour?']);
    expect(resumed.stderr.match(/warning: skipped an entry that is not a valid message at /g)).toHaveLength(6);
    expect(resumed.stderr).toContain(`${file}:2 `);
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toBe('It was green.\n');
    const sent = body(session.requests[1]).messages.map((message) => message.role);
    expect(sent).toEqual(['user', 'assistant', 'user']);
    expect(conversationText(session.requests[1])).toContain('Noted: green.');
  });

  test('--continue after a compaction sends its summary and the messages it kept; the file keeps everything', async () => {
    const { session, project, flags } = setup([textReply('One.'), textReply('Two.'), textReply('Three.')]);
    expect((await runCli(project, [...flags, '-p', 'first question'])).code).toBe(0);
    expect((await runCli(project, [...flags, '--continue', '-p', 'second question'])).code).toBe(0);
    const file = sessionFiles(project)[0] as string;
    const compaction = {
      type: 'compaction',
      summary: 'The user asked something earlier (SUMMARY-MARKER).',
      firstKeptIndex: 2,
      tokensBefore: 5000,
      tokensAfter: 300,
      timestamp: Date.now(),
    };
    appendFileSync(file, `${JSON.stringify(compaction)}\n`);

    const resumed = await runCli(project, [...flags, '--continue', '-p', 'third question']);
    expect(resumed.code).toBe(0);
    expect(resumed.stderr).not.toContain('warning');
    expect(resumed.stdout).toBe('Three.\n');
    const third = conversationText(session.requests[2]);
    expect(third).toContain('SUMMARY-MARKER');
    expect(third).toContain('second question');
    expect(third).toContain('Two.');
    expect(third).toContain('third question');
    expect(third).not.toContain('first question');
    expect(third).not.toContain('One.');
    const kinds = lines(file).map((line) => {
      const entry = JSON.parse(line);
      return entry.type === 'message' ? entry.message.role : entry.type;
    });
    expect(kinds).toEqual(['session', 'user', 'assistant', 'user', 'assistant', 'compaction', 'user', 'assistant']);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  test('--continue resumes with the model the session last used, unless this run names one; switches are recorded', async () => {
    const { session, project, flags } = setup([
      textReply('One.'),
      textReply('Two.'),
      textReply('Three.'),
      textReply('Four.'),
    ]);
    expect((await runCli(project, [...flags, '-p', 'first'])).code).toBe(0);
    const file = sessionFiles(project)[0] as string;
    appendFileSync(
      file,
      `${JSON.stringify({ type: 'model_change', provider: 'anthropic', model: 'claude-opus-4-6' })}\n`,
    );

    expect((await runCli(project, [...flags, '--continue', '-p', 'second'])).code).toBe(0);
    expect(body(session.requests[1]).model).toBe('claude-opus-4-6');
    // Named on the command line: that model, and the switch is recorded before its reply.
    expect((await runCli(project, [...flags, '--continue', '--model', 'claude-sonnet-4-6', '-p', 'third'])).code).toBe(
      0,
    );
    expect(body(session.requests[2]).model).toBe('claude-sonnet-4-6');
    const kinds = lines(file).map((line) => {
      const entry = JSON.parse(line);
      return entry.type === 'message'
        ? `${entry.message.role}${entry.message.model ? `:${entry.message.model}` : ''}`
        : entry.type === 'model_change'
          ? `model_change:${entry.model}`
          : entry.type;
    });
    expect(kinds).toEqual([
      'session',
      'user',
      'assistant:claude-sonnet-4-6',
      'model_change:claude-opus-4-6',
      'user',
      'assistant:claude-opus-4-6',
      'user',
      'model_change:claude-sonnet-4-6',
      'assistant:claude-sonnet-4-6',
    ]);

    // A model that cannot be used now: a warning, and the default.
    appendFileSync(
      file,
      `${JSON.stringify({ type: 'model_change', provider: 'anthropic', model: 'claude-gone-1' })}\n`,
    );
    const fallback = await runCli(project, [...flags, '--continue', '-p', 'fourth']);
    expect(fallback.code).toBe(0);
    expect(fallback.stderr).toContain(
      'warning: the session last used anthropic/claude-gone-1, which cannot be used now (',
    );
    expect(fallback.stderr).toContain('going on with anthropic/claude-sonnet-4-6');
    expect(body(session.requests[3]).model).toBe('claude-sonnet-4-6');
  });

  test('a run that fails before the model answers (a refused key, an unreachable server) leaves no session file', async () => {
    const { project, flags } = setup([
      {
        type: 'http',
        status: 401,
        body: { type: 'error', error: { type: 'authentication_error', message: 'invalid x-api-key' } },
      },
    ]);
    const failed = await runCli(project, [...flags, '-p', 'Say hello']);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain('invalid x-api-key');
    expect(sessionFiles(project)).toEqual([]);
    const unreachable = await runCli(project, ['--base-url', 'http://127.0.0.1:9', '--thinking', 'off', '-p', 'Hi']);
    expect(unreachable.code).toBe(1);
    expect(sessionFiles(project)).toEqual([]);
  });

  test('a sessions directory that cannot be written gets one warning, and the run goes on', async () => {
    const { project, flags } = setup([toolReply({ name: 'ls', arguments: {} }), textReply('Listed.')]);
    mkdirSync(project.home, { recursive: true });
    writeFileSync(join(project.home, 'sessions'), 'a file where the directory should be');
    const result = await runCli(project, [...flags, '-p', 'List the files']);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('Listed.\n');
    const warnings = result.stderr.match(
      /warning: cannot write the session file .*sessions\/[^ ]+\.jsonl \(\w+\); this conversation is not saved/g,
    );
    expect(warnings).toHaveLength(1);
  });

  test('a --session path that cannot be read ends the run with a clear error', async () => {
    const { project, flags } = setup([textReply('unused')]);
    mkdirSync(join(project.dir, 'a-directory'));
    const result = await runCli(project, [...flags, '--session', 'a-directory', '-p', 'hi']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`cannot read the session file ${join(project.dir, 'a-directory')}: EISDIR`);
  });

  test('kill -9 mid-turn keeps every earlier message intact, and --continue picks them up', async () => {
    const { session, project, flags } = setup([
      toolReply({ name: 'read', arguments: { path: 'README.md' } }),
      { content: [{ type: 'text', text: 'The README says' }], fault: { type: 'stall', afterEvents: 3 } },
      textReply('Recovered.'),
    ]);
    const running = startCli(project, [...flags, '-p', 'Read the README']);
    await waitUntil(() => session.requests.length === 2, 'the stalled second request');
    running.child.kill('SIGKILL');
    const killed = await running.done;
    expect(killed.signal).toBe('SIGKILL');

    const file = sessionFiles(project)[0] as string;
    const entries = lines(file).map((line) => JSON.parse(line));
    expect(entries.map((entry) => entry.message?.role ?? entry.type)).toEqual([
      'session',
      'user',
      'assistant',
      'toolResult',
    ]);
    expect(JSON.stringify(entries[3].message.content)).toContain('The readme text.');

    const resumed = await runCli(project, [...flags, '--continue', '-p', 'Go on']);
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toBe('Recovered.\n');
    expect(conversationText(session.requests[2])).toContain('The readme text.');
  });
});
