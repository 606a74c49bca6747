/**
 * Structured output on the wire of Anthropic Messages and Bedrock
 * ConverseStream, checked against the providers' documentation:
 * - native: `output_config.format` (Anthropic,
 *   https://platform.claude.com/docs/en/build-with-claude/structured-outputs) and
 *   `outputConfig.textFormat` (Bedrock, OutputFormat / JsonSchemaDefinition in
 *   https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_OutputFormat.html), each object
 *   schema closed with `additionalProperties: false`, as Claude requires;
 * - tool mode: the forced tool carries the schema, and no thinking goes with it, even when the model
 *   and the options ask for reasoning;
 * - the catalog's modes, and the mock refusing what the providers refuse, with their 400s.
 */
import { describe, expect, test } from 'vitest';
import { z } from 'zod';
import { findModel } from '../../src/ai/models.js';
import { stream } from '../../src/ai/stream.js';
import { outputMode } from '../../src/ai/structured-output.js';
import type { Context, JsonSchema, Model, StreamOptions } from '../../src/ai/types.js';
import type { MockRequest, MockTurn } from '../../testing/script.js';
import { mockSession } from '../support/mock.js';
import { type Protocol, protocols } from '../support/protocols.js';

const ask: Context = { messages: [{ role: 'user', content: 'Who wrote Dune, and for whom?', timestamp: 1 }] };

/** A plain JSON Schema with a nested object, neither closed. */
const Book: JsonSchema = {
  type: 'object',
  properties: {
    author: { type: 'string' },
    year: { type: 'integer' },
    publisher: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] },
  },
  required: ['author', 'year', 'publisher'],
};
/** `Book` as Claude takes it: each object says `additionalProperties: false`. */
const closedBook = {
  type: 'object',
  properties: {
    author: { type: 'string' },
    year: { type: 'integer' },
    publisher: {
      type: 'object',
      properties: { name: { type: 'string' } },
      required: ['name'],
      additionalProperties: false,
    },
  },
  required: ['author', 'year', 'publisher'],
  additionalProperties: false,
};
const answer = { author: 'Frank Herbert', year: 1965, publisher: { name: 'Chilton' } };

const anthropic = protocols.find((p) => p.name === 'anthropic-messages') as Protocol;
const bedrock = protocols.find((p) => p.name === 'bedrock-converse-stream') as Protocol;

const text = (value: unknown): MockTurn => ({ content: [{ type: 'text', text: JSON.stringify(value) }], deltaSize: 9 });
const forcedCall = (value: unknown, name = 'output'): MockTurn => ({
  content: [{ type: 'toolCall', id: 'call_out', name, arguments: JSON.stringify(value) }],
  stopReason: 'toolUse',
  deltaSize: 9,
});

const bodyOf = (request: MockRequest | undefined) => request?.body as Record<string, unknown>;

async function run(p: Protocol, turn: MockTurn, overrides: Partial<Model>, options: StreamOptions = {}) {
  const session = await mockSession({ turns: [turn] });
  const model = { ...p.model(session.baseUrl), ...overrides };
  const message = await stream(model, ask, { ...p.auth, output: Book, ...options }).result();
  const [request, ...more] = await session.requests();
  expect(more).toEqual([]);
  return { message, body: bodyOf(request), model };
}

describe('native mode: the schema in the protocol field the docs name, and nothing else', () => {
  test('Anthropic: output_config.format is { type: json_schema, schema }, objects closed; no tool, no tool_choice', async () => {
    const { message, body, model } = await run(anthropic, text(answer), { structuredOutput: 'native' });
    expect(outputMode(model)).toBe('native');
    expect(body.output_config).toEqual({ format: { type: 'json_schema', schema: closedBook } });
    expect(Object.keys(body).sort()).toEqual(['max_tokens', 'messages', 'model', 'output_config', 'stream']);
    expect(message.stopReason).toBe('stop');
    expect(message.output).toEqual(answer);
  });

  test('Bedrock: outputConfig.textFormat is json_schema with structure.jsonSchema { schema as a JSON string, name }', async () => {
    const { message, body } = await run(bedrock, text(answer), { structuredOutput: 'native' }, { outputName: 'book' });
    expect(body.outputConfig).toEqual({
      textFormat: {
        type: 'json_schema',
        structure: { jsonSchema: { schema: expect.any(String), name: 'book' } },
      },
    });
    const sent = body.outputConfig as { textFormat: { structure: { jsonSchema: { schema: string } } } };
    expect(JSON.parse(sent.textFormat.structure.jsonSchema.schema)).toEqual(closedBook);
    expect(Object.keys(body).sort()).toEqual(['inferenceConfig', 'messages', 'outputConfig']);
    expect(message.output).toEqual(answer);
  });

  test.each([anthropic, bedrock])('$name: a zod schema (its objects left open) is closed and accepted', async (p) => {
    const session = await mockSession({ turns: [text({ title: 'Dune', pages: 412 })] });
    const model: Model = { ...p.model(session.baseUrl), structuredOutput: 'native' };
    const output = z.object({ title: z.string(), pages: z.number() });
    const message = await stream(model, ask, { ...p.auth, output }).result();
    expect(message.errorMessage).toBeUndefined();
    expect(message.output).toEqual({ title: 'Dune', pages: 412 });
  });

  test('Anthropic: native structured output goes together with thinking', async () => {
    const { message, body } = await run(
      anthropic,
      {
        content: [
          { type: 'thinking', thinking: 'Herbert, 1965.' },
          { type: 'text', text: JSON.stringify(answer) },
        ],
      },
      { structuredOutput: 'native', reasoning: true, maxTokens: 32_000 },
      { reasoning: 'high' },
    );
    expect(body.thinking).toEqual({ type: 'enabled', budget_tokens: 16_384 });
    expect(body.output_config).toEqual({ format: { type: 'json_schema', schema: closedBook } });
    expect(message.output).toEqual(answer);
  });
});

describe('tool mode: the forced tool carries the schema, and thinking stays off even when asked for', () => {
  test('Anthropic: tools [output], tool_choice { type: tool, name }, no thinking on a reasoning model at reasoning high', async () => {
    const { message, body, model } = await run(
      anthropic,
      forcedCall(answer),
      { reasoning: true, maxTokens: 32_000 },
      { reasoning: 'high' },
    );
    expect(outputMode(model)).toBe('tool');
    expect(body.tools).toEqual([
      { name: 'output', description: 'Give the answer by calling this tool with it.', input_schema: Book },
    ]);
    expect(body.tool_choice).toEqual({ type: 'tool', name: 'output' });
    expect(body).not.toHaveProperty('thinking');
    expect(body).not.toHaveProperty('output_config');
    expect(message.stopReason).toBe('stop');
    expect(message.output).toEqual(answer);
    expect(message.content).toEqual([{ type: 'text', text: JSON.stringify(answer) }]);
  });

  test.each([
    ['a thinking budget', {}, undefined],
    ['adaptive thinking', { thinkingFormat: 'reasoning_effort' as const }, { thinking: { type: 'disabled' } }],
  ])(
    'Bedrock, %s: toolChoice { tool: { name } }, the schema as inputSchema.json, no thinking',
    async (_, compat, fields) => {
      const { message, body } = await run(
        bedrock,
        forcedCall(answer, 'book'),
        { reasoning: true, maxTokens: 32_000, compat },
        { reasoning: 'high', outputName: 'book' },
      );
      expect(body.toolConfig).toEqual({
        tools: [
          {
            toolSpec: {
              name: 'book',
              description: 'Give the answer by calling this tool with it.',
              inputSchema: { json: Book },
            },
          },
        ],
        toolChoice: { tool: { name: 'book' } },
      });
      // Adaptive models may think unasked, so the forced call says thinking is disabled; budget models are left as they are.
      expect(body.additionalModelRequestFields).toEqual(fields);
      expect(body).not.toHaveProperty('outputConfig');
      expect(message.output).toEqual(answer);
    },
  );
});

describe('the catalog says which models take the schema field', () => {
  test('every Claude model on the Anthropic API is native', () => {
    for (const id of [
      'claude-fable-5-2',
      'claude-opus-5-5',
      'claude-opus-4-6',
      'claude-sonnet-4-6',
      'claude-haiku-4-5',
    ]) {
      const model = findModel('anthropic', id) as Model;
      expect([id, model.structuredOutput, outputMode(model)]).toEqual([id, 'native', 'native']);
    }
  });

  test('on Bedrock: the models AWS and Anthropic document, and those that refuse a forced tool; the rest a forced tool', () => {
    const mode = (id: string) => outputMode(findModel('amazon-bedrock', id) as Model);
    expect(mode('global.anthropic.claude-haiku-4-5-20251001-v1:0')).toBe('native');
    expect(mode('global.anthropic.claude-sonnet-4-6')).toBe('native');
    expect(mode('global.anthropic.claude-opus-5-5')).toBe('native');
    expect(mode('global.anthropic.claude-fable-5-1')).toBe('native');
    expect(mode('global.anthropic.claude-opus-5')).toBe('tool');
    expect(mode('global.anthropic.claude-sonnet-5')).toBe('tool');
    expect(mode('us.amazon.nova-pro-v1:0')).toBe('tool');
  });
});

describe('the mock refuses what the providers refuse, with their 400s', () => {
  /** One request through the protocol with `extraBody` merged in; the error it ends with. */
  async function refused(p: Protocol, extraBody: Record<string, unknown>, options: StreamOptions = {}) {
    const session = await mockSession({ turns: [text('unused')] });
    const message = await p.fn(p.model(session.baseUrl), ask, { ...p.auth, ...options, extraBody }).result();
    expect(message.stopReason).toBe('error');
    expect(message.errorStatus).toBe(400);
    expect(message.errorKind).toBe('invalid_request');
    return message.errorMessage ?? '';
  }
  const weather = { name: 'weather', description: 'The weather', parameters: { type: 'object', properties: {} } };

  test('Anthropic: a forced tool with thinking on', async () => {
    const forced = { toolChoice: { type: 'tool' as const, name: 'weather' } };
    const session = await mockSession({ turns: [text('unused')] });
    const message = await anthropic
      .fn(
        { ...anthropic.model(session.baseUrl), reasoning: true },
        { ...ask, tools: [weather] },
        { ...anthropic.auth, ...forced, extraBody: { thinking: { type: 'enabled', budget_tokens: 2048 } } },
      )
      .result();
    expect(message).toMatchObject({ stopReason: 'error', errorStatus: 400, errorKind: 'invalid_request' });
    expect(message.errorMessage).toContain('Thinking may not be enabled when tool_choice forces tool use.');
    expect((await session.requests())[0]?.body).toMatchObject({ tool_choice: { type: 'tool', name: 'weather' } });
  });

  test.each([
    [{ type: 'json', schema: closedBook }, "output_config.format.type: Input should be 'json_schema'"],
    [
      { type: 'json_schema', schema: '{"type":"object"}' },
      'output_config.format.schema: Input should be a valid dictionary',
    ],
    [
      { type: 'json_schema', schema: Book },
      "output_config.format.schema: For 'object' type, 'additionalProperties' must be explicitly set to false",
    ],
  ])('Anthropic: output_config.format %j', async (format, wording) => {
    expect(await refused(anthropic, { output_config: { format } })).toContain(wording);
  });

  test('Bedrock: a forced tool with thinking on, for Claude', async () => {
    const session = await mockSession({ turns: [text('unused')] });
    const message = await bedrock
      .fn(
        { ...bedrock.model(session.baseUrl), reasoning: true },
        { ...ask, tools: [weather] },
        {
          ...bedrock.auth,
          toolChoice: 'required',
          extraBody: { additionalModelRequestFields: { thinking: { type: 'adaptive' } } },
        },
      )
      .result();
    expect(message).toMatchObject({ stopReason: 'error', errorStatus: 400, errorKind: 'invalid_request' });
    expect(message.errorMessage).toContain(
      'The model returned the following errors: Thinking may not be enabled when tool_choice forces tool use.',
    );
  });

  const jsonSchema = (schema: unknown) => ({ type: 'json_schema', structure: { jsonSchema: { schema, name: 'x' } } });
  test.each([
    [
      { type: 'json', structure: { jsonSchema: { schema: '{}' } } },
      "Value 'json' at 'outputConfig.textFormat.type' failed to satisfy constraint: Member must satisfy enum value set: [json_schema]",
    ],
    [
      { type: 'json_schema' },
      "Value null at 'outputConfig.textFormat.structure.jsonSchema' failed to satisfy constraint",
    ],
    [jsonSchema(undefined), "Value null at 'outputConfig.textFormat.structure.jsonSchema.schema'"],
    [jsonSchema(closedBook), 'SerializationException'],
    [jsonSchema('{"type": "object",'), 'not valid JSON'],
    [
      jsonSchema(JSON.stringify(Book)),
      "The model returned the following errors: output_config.format.schema: For 'object' type, 'additionalProperties' must be explicitly set to false",
    ],
  ])('Bedrock: outputConfig.textFormat %j', async (textFormat, wording) => {
    expect(await refused(bedrock, { outputConfig: { textFormat } })).toContain(wording);
  });

  test('Bedrock: the name is optional (JsonSchemaDefinition), so a format without one is taken', async () => {
    const session = await mockSession({ turns: [text(answer)] });
    const textFormat = { type: 'json_schema', structure: { jsonSchema: { schema: JSON.stringify(closedBook) } } };
    const message = await bedrock
      .fn(bedrock.model(session.baseUrl), ask, { ...bedrock.auth, extraBody: { outputConfig: { textFormat } } })
      .result();
    expect(message.stopReason).toBe('stop');
  });
});
