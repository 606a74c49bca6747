/**
 * Structured output over every protocol, through `stream()`: the schema goes
 * in the protocol's own field (native) or as a forced tool, the caller sees
 * text JSON with an object_delta after each delta, and the final message
 * holds the checked value. A reply that does not match is `invalid_output`,
 * with its issues; `repair` asks once more.
 */
import { describe, expect, test } from 'vitest';
import { z } from 'zod';
import { completeObject, StructuredOutputError, stream } from '../../src/ai/stream.js';
import { outputMode } from '../../src/ai/structured-output.js';
import type { AssistantMessageEvent, Context, Model } from '../../src/ai/types.js';
import type { MockTurn } from '../../testing/script.js';
import { mockSession } from '../support/mock.js';
import { type Protocol, protocols } from '../support/protocols.js';

const ask: Context = { messages: [{ role: 'user', content: 'Who wrote Dune, and when?', timestamp: 1 }] };
const Book = z.object({ author: z.string(), year: z.number().int(), tags: z.array(z.string()) });
const answer = { author: 'Frank Herbert', year: 1965, tags: ['sf', 'desert'] };

/** The reply the mock sends: the JSON as text (native), or as the forced tool's arguments. */
function reply(model: Model, value: unknown, name = 'output'): MockTurn {
  const json = JSON.stringify(value);
  return outputMode(model) === 'native'
    ? { content: [{ type: 'text', text: json }], deltaSize: 7 }
    : { content: [{ type: 'toolCall', id: 'call_out', name, arguments: json }], stopReason: 'toolUse', deltaSize: 7 };
}

async function run(p: Protocol, turns: (model: Model) => MockTurn[], options: Record<string, unknown> = {}) {
  const probe = p.model('http://127.0.0.1:1');
  const session = await mockSession({ turns: turns(probe) });
  const model = p.model(session.baseUrl);
  const events: AssistantMessageEvent[] = [];
  const s = stream(model, ask, { ...p.auth, output: Book, ...options });
  for await (const event of s) events.push(event);
  return { events, message: await s.result(), requests: () => session.requests(), model };
}

describe.each(protocols)('$name: structured output', (p) => {
  test('the reply is text JSON with object_delta after each delta, and output holds the checked value', async () => {
    const { events, message } = await run(p, (model) => [reply(model, answer)]);
    expect(message.stopReason).toBe('stop');
    expect(message.output).toEqual(answer);
    expect(message.content).toHaveLength(1);
    expect(message.content[0]).toMatchObject({ type: 'text', text: JSON.stringify(answer) });
    const deltas = events.filter((event) => event.type === 'text_delta').length;
    const objects = events.filter((event) => event.type === 'object_delta');
    expect(deltas).toBeGreaterThan(3);
    expect(objects).toHaveLength(deltas);
    expect(events.map((event) => event.type)).toEqual([
      'start',
      'text_start',
      ...Array.from({ length: deltas }, () => ['text_delta', 'object_delta']).flat(),
      'text_end',
      'done',
    ]);
    const last = objects.at(-1) as Extract<AssistantMessageEvent, { type: 'object_delta' }>;
    expect(last.object).toEqual(answer);
  });

  test('a value that does not match is invalid_output with its issues; completeObject rejects with them', async () => {
    const { message } = await run(p, (model) => [reply(model, { author: 'F. H.', year: 'long ago', tags: [] })]);
    expect(message).toMatchObject({ stopReason: 'error', errorKind: 'invalid_output' });
    expect(message.outputIssues?.[0]).toMatchObject({ path: ['year'] });
    expect(message.errorMessage).toMatch(/year/);

    const session = await mockSession({ turns: [reply(p.model('x'), { nope: true })] });
    const failed = await completeObject(p.model(session.baseUrl), ask, { ...p.auth, output: Book }).catch((e) => e);
    expect(failed).toBeInstanceOf(StructuredOutputError);
    expect(failed.kind).toBe('invalid_output');
    expect(failed.text).toBe('{"nope":true}');
    expect(failed.issues.length).toBeGreaterThan(0);
  });

  test('repair: true asks once more with what was wrong, and the second answer is the output', async () => {
    const { message, requests } = await run(p, (model) => [reply(model, { author: 'F. H.' }), reply(model, answer)], {
      repair: true,
    });
    expect(message.stopReason).toBe('stop');
    expect(message.output).toEqual(answer);
    const sent = await requests();
    expect(sent).toHaveLength(2);
    expect(JSON.stringify(sent[1]?.body)).toContain('does not match the schema');
  });

  test('completeObject returns the typed value', async () => {
    const session = await mockSession({ turns: [reply(p.model('x'), answer)] });
    const book = await completeObject(p.model(session.baseUrl), ask, { ...p.auth, output: Book });
    expect(book.year).toBe(1965);
  });
});

describe.each(protocols)('$name: an output whose root is not an object', (p) => {
  test('is sent wrapped as { value }, and the output, object_delta and issues are the value inside', async () => {
    const Tags = z.array(z.string()).min(2);
    const session = await mockSession({ turns: [reply(p.model('x'), { value: ['sf', 'desert'] })] });
    const model = p.model(session.baseUrl);
    const events: AssistantMessageEvent[] = [];
    const s = stream(model, ask, { ...p.auth, output: Tags });
    for await (const event of s) events.push(event);
    const message = await s.result();
    expect(message.errorMessage).toBeUndefined();
    expect(message.output).toEqual(['sf', 'desert']);
    const last = events.filter((event) => event.type === 'object_delta').at(-1) as Extract<
      AssistantMessageEvent,
      { type: 'object_delta' }
    >;
    expect(last.object).toEqual(['sf', 'desert']);
    const body = JSON.stringify((await session.requests())[0]?.body);
    expect(body).toContain('"required":["value"]');

    const bad = await mockSession({ turns: [reply(p.model('x'), { value: ['one'] })] });
    const failed = await completeObject(p.model(bad.baseUrl), ask, { ...p.auth, output: Tags }).catch((e) => e);
    expect(failed).toBeInstanceOf(StructuredOutputError);
    expect(failed.issues[0].path).toEqual([]);
  });
});
