/**
 * Automatic compaction through the CLI: a custom model with a small window
 * on the mock server, which answers over it as the provider does.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type MockServer, startMockServer } from '../../testing/mock-server.js';
import type { MockReply } from '../../testing/script.js';
import { type Project, removeTempProjects, runCli, tempProject } from './cli-support/run-cli.js';
import { textReply, toolReply } from './cli-support/wire.js';

let mock: MockServer;
beforeAll(async () => {
  mock = await startMockServer();
});
afterAll(async () => {
  await mock.close();
  removeTempProjects();
});

const WINDOW = 9_000;
const FILE = `${'const answer = 42; // a line of the file\n'.repeat(60)}`;

function writeConfig(project: Project, baseUrl: string, compaction?: Record<string, unknown>): void {
  mkdirSync(project.home, { recursive: true });
  const config = {
    default: { provider: 'local', model: 'small', thinking: 'off' },
    models: {
      custom: [
        {
          provider: 'local',
          id: 'small',
          api: 'anthropic-messages',
          base_url: baseUrl,
          reasoning: false,
          input: ['text'],
          context_window: WINDOW,
          max_tokens: 1_000,
        },
      ],
    },
    ...(compaction ? { compaction } : {}),
  };
  writeFileSync(join(project.home, 'config.json'), JSON.stringify(config));
}

/** Without a usage of its own, a reply reports what the mock counted, as a provider would. */
function counted(reply: MockReply): MockReply {
  const { usage: _usage, ...rest } = reply;
  return rest;
}

/** Reads each file a few times, then answers: far more than the window holds. */
function reads(): MockReply[] {
  const turns: MockReply[] = [];
  for (let i = 0; i < 12; i++) turns.push(counted(toolReply({ name: 'read', arguments: { path: `f${i % 4}.ts` } })));
  turns.push(counted(textReply('Read them all.')));
  return turns;
}

const files = Object.fromEntries([0, 1, 2, 3].map((i) => [`f${i}.ts`, FILE]));

describe.concurrent('automatic compaction in the CLI', { timeout: 60_000 }, () => {
  test('--json shows compaction events; the answer comes; the session records the compactions', async () => {
    const session = mock.session({
      turns: reads(),
      contextWindow: WINDOW,
      responders: [{ whenBodyIncludes: 'You write the summary', reply: textReply('## Goal\nRead the files.') }],
    });
    const project = tempProject(files, { LOCAL_API_KEY: 'k' });
    writeConfig(project, session.baseUrl);
    const result = await runCli(project, ['--json', '-p', 'read the files', '--api-key', 'k']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const events = result.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { type: string; ok?: boolean; tokensBefore?: number; tokensAfter?: number });
    const ends = events.filter((event) => event.type === 'compaction_end');
    expect(ends.length).toBeGreaterThan(0);
    for (const end of ends) {
      expect(end.ok).toBe(true);
      expect(end.tokensAfter).toBeLessThan(end.tokensBefore as number);
    }
    expect(events.filter((event) => event.type === 'compaction_start')).toHaveLength(ends.length);
    expect(events.at(-1)).toMatchObject({ type: 'agent_end', stopReason: 'stop' });
    const sessions = join(project.home, 'sessions');
    const [file] = readdirSync(sessions);
    const entries = readFileSync(join(sessions, file as string), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { type: string });
    expect(entries.filter((entry) => entry.type === 'compaction')).toHaveLength(ends.length);
    // Every message is kept in the file: 1 prompt, 13 replies, 12 tool results.
    expect(entries.filter((entry) => entry.type === 'message')).toHaveLength(26);
  });

  test('"compaction": { "enabled": false } in the config turns it off: the provider’s overflow ends the run', async () => {
    const session = mock.session({ turns: reads(), contextWindow: WINDOW });
    const project = tempProject(files, { LOCAL_API_KEY: 'k' });
    writeConfig(project, session.baseUrl, { enabled: false });
    const result = await runCli(project, ['-p', 'read the files', '--api-key', 'k']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/prompt is too long|exceed context limit/);
    expect(session.requests.every((r) => !JSON.stringify(r.body).includes('You write the summary'))).toBe(true);
  });

  test('a misspelt compaction key is named', async () => {
    const project = tempProject({}, { LOCAL_API_KEY: 'k' });
    writeConfig(project, 'http://127.0.0.1:9', { keep_recent: 10 });
    const result = await runCli(project, ['-p', 'hi']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('compaction: unknown key "keep_recent"');
  });
});
