/**
 * `qcore -p … --output-schema FILE`: the run ends with an answer matching
 * the JSON Schema in FILE. stdout gets it as JSON; with `--json`, the event
 * lines show its object_delta events and the last line carries `output`.
 * The model here is a local OpenAI-compatible server (the mock), which is
 * asked natively, so the answer streams as text.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { AgentEventDecoder } from '../../src/agent/agent-event-wire.js';
import type { AgentEvent } from '../../src/agent/types.js';
import { type MockServer, startMockServer } from '../../testing/mock-server.js';
import type { MockTurn } from '../../testing/script.js';
import { removeTempProjects, runCli, tempProject } from './cli-support/run-cli.js';

let mock: MockServer;
beforeAll(async () => {
  mock = await startMockServer();
});
afterAll(async () => {
  await mock.close();
  removeTempProjects();
});

const schema = {
  type: 'object',
  properties: {
    title: { type: 'string' },
    todos: { type: 'array', items: { type: 'string' } },
  },
  required: ['title', 'todos'],
  additionalProperties: false,
};
const answer = { title: 'Demo', todos: ['write tests', 'ship it'] };

function setup(turns: MockTurn[], files: Record<string, string> = {}) {
  const session = mock.session({ turns });
  const project = tempProject({ 'README.md': '# Demo\n\nTODO: write tests\nTODO: ship it\n', ...files });
  const flags = ['--provider', 'local', '--model', 'json-model', '--base-url', `${session.baseUrl}/v1`];
  return { session, project, flags };
}

const readme: MockTurn = {
  content: [{ type: 'toolCall', id: 'call_r', name: 'read', arguments: { path: 'README.md' } }],
  stopReason: 'toolUse',
};
const json = (value: unknown): MockTurn => ({ content: [{ type: 'text', text: JSON.stringify(value) }], deltaSize: 4 });

describe.concurrent('--output-schema', { timeout: 30_000 }, () => {
  test('stdout gets the answer as JSON, after the tools the model used', async () => {
    const { session, project, flags } = setup([readme, json(answer)], { 'todos.schema.json': JSON.stringify(schema) });
    const result = await runCli(project, [...flags, '--output-schema', 'todos.schema.json', '-p', 'List the TODOs']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual(answer);
    expect(result.stdout).toBe(`${JSON.stringify(answer)}\n`);
    expect(session.requests).toHaveLength(2);
    expect(JSON.stringify(session.requests[1]?.body)).toContain('TODO: ship it');
  });

  test('--json shows object_delta lines, rebuilt by the decoder, and the last line carries the output', async () => {
    const { project, flags } = setup([readme, json(answer)], { 'schema.json': JSON.stringify(schema) });
    const result = await runCli(project, [...flags, '--json', '--output-schema', 'schema.json', '-p', 'TODOs?']);
    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    const objectLines = lines.filter((line) => line.includes('"type":"object_delta"'));
    const textLines = lines.filter((line) => line.includes('"type":"text_delta"'));
    // One after each delta of the answer's text, and nothing but the block's index: the client parses its own text.
    expect(objectLines.length).toBe(textLines.length);
    expect(objectLines.length).toBeGreaterThan(10);
    expect(objectLines[0]).toBe(
      '{"type":"message_update","assistantMessageEvent":{"type":"object_delta","contentIndex":0}}',
    );
    const end = JSON.parse(lines.at(-1) as string) as { type: string; stopReason: string; output: unknown };
    expect(end).toMatchObject({ type: 'agent_end', stopReason: 'stop', output: answer });

    const decoder = new AgentEventDecoder();
    const objects: unknown[] = [];
    for (const line of lines) {
      const event: AgentEvent = decoder.decode((JSON.parse(line) as { type: string }).type, line);
      if (event.type === 'message_update' && event.assistantMessageEvent.type === 'object_delta') {
        objects.push(structuredClone(event.assistantMessageEvent.object));
      }
    }
    expect(objects).toHaveLength(objectLines.length);
    // Deltas of 4 characters: {"ti, tle", :"De, …
    expect(objects[2]).toEqual({ title: 'De' });
    expect(objects.at(-1)).toEqual(answer);
  });

  test('an answer that does not match is shown to the model once; a second miss exits 1', async () => {
    const wrong = { title: 'Demo', todos: 'write tests' };
    const { session, project, flags } = setup([json(wrong), json(wrong)], { 's.json': JSON.stringify(schema) });
    const result = await runCli(project, [...flags, '--output-schema', 's.json', '-p', 'TODOs?']);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^qcore: The output does not match the schema: .*todos/);
    expect(session.requests).toHaveLength(2);
    expect(JSON.stringify(session.requests[1]?.body)).toContain('does not match the schema');

    const fixed = setup([json(wrong), json(answer)], { 's.json': JSON.stringify(schema) });
    const repaired = await runCli(fixed.project, [...fixed.flags, '--output-schema', 's.json', '-p', 'TODOs?']);
    expect(repaired.code).toBe(0);
    expect(JSON.parse(repaired.stdout)).toEqual(answer);
  });

  test('a schema file that is missing, not JSON or not an object is a usage error before any request', async () => {
    const { session, project, flags } = setup([], { 'bad.json': '{"type": "object",', 'list.json': '[1]' });
    const cases: [string, RegExp][] = [
      ['missing.json', /^qcore: --output-schema: cannot read missing\.json: ENOENT/],
      ['bad.json', /^qcore: --output-schema: bad\.json is not JSON/],
      ['list.json', /^qcore: --output-schema: list\.json must hold a JSON Schema object/],
    ];
    for (const [file, message] of cases) {
      const result = await runCli(project, [...flags, '--output-schema', file, '-p', 'hi']);
      expect(result.code, file).toBe(2);
      expect(result.stderr).toMatch(message);
    }
    expect(session.requests).toHaveLength(0);
  });
});
