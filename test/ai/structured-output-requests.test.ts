/**
 * The request fields of native structured output, per protocol, as the providers document them:
 * - Chat Completions: `response_format: { type: 'json_schema', json_schema: { name, schema, strict } }`
 *   (https://platform.openai.com/docs/api-reference/chat/create#chat-create-response_format);
 * - Responses: `text: { format: { type: 'json_schema', name, schema, strict } }`, flat
 *   (https://platform.openai.com/docs/api-reference/responses/create#responses-create-text);
 * - Gemini: `generationConfig.responseMimeType: 'application/json'` with `responseJsonSchema`, the
 *   schema as it is (https://ai.google.dev/api/generate-content#generationconfig).
 * `strict` is true only for a schema strict mode accepts. Nothing is sent without `output`; tools
 * and the format go together. The mock refuses a malformed format with the provider's own 400.
 */
import { describe, expect, test } from 'vitest';
import { getModel } from '../../src/ai/models.js';
import { stream } from '../../src/ai/stream.js';
import { outputMode } from '../../src/ai/structured-output.js';
import type { AssistantMessage, Context, Model, ResponseFormat, StreamOptions } from '../../src/ai/types.js';
import type { MockRequest, MockTurn } from '../../testing/script.js';
import { mockSession } from '../support/mock.js';
import { type Protocol, protocols } from '../support/protocols.js';

type Json = Record<string, unknown>;

const ask: Context = {
  systemPrompt: 'Answer with data.',
  messages: [{ role: 'user', content: 'Who wrote Dune, and when?', timestamp: 1 }],
};

/** Every property required, no others allowed: strict mode takes it. */
const strictSchema = {
  type: 'object',
  properties: {
    author: { type: 'string' },
    year: { type: 'integer' },
    tags: {
      type: 'array',
      items: {
        type: 'object',
        properties: { tag: { type: 'string' } },
        required: ['tag'],
        additionalProperties: false,
      },
    },
  },
  required: ['author', 'year', 'tags'],
  additionalProperties: false,
};

/** `year` optional and other properties allowed: strict mode refuses it, so `strict` is false. */
const looseSchema = {
  type: 'object',
  properties: { author: { type: 'string' }, year: { type: 'integer' } },
  required: ['author'],
};

const answer = { author: 'Frank Herbert', year: 1965, tags: [{ tag: 'sf' }] };

const weather = {
  name: 'weather',
  description: 'Looks up the weather',
  parameters: {
    type: 'object',
    properties: { city: { type: 'string' } },
    required: ['city'],
    additionalProperties: false,
  },
};

function protocol(name: string): Protocol {
  return protocols.find((p) => p.name === name) as Protocol;
}

function bodyOf(request: MockRequest | undefined): Json {
  return request?.body as Json;
}

interface Sent {
  body: Json;
  message: AssistantMessage;
}

/** Streams one request through `stream()` (and so the structured-output layer when `output` is set). */
async function send(
  p: Protocol,
  options: StreamOptions,
  turn: MockTurn = { content: [{ type: 'text', text: JSON.stringify(answer) }] },
  context: Context = ask,
  shape: (model: Model) => Model = (model) => model,
): Promise<Sent> {
  const session = await mockSession({ turns: [turn] });
  const message = await stream(shape(p.model(session.baseUrl)), context, { ...p.auth, ...options }).result();
  const requests = await session.requests();
  expect(requests).toHaveLength(1);
  return { body: bodyOf(requests[0]), message };
}

/** Calls the protocol's own stream function with a hand-made format, as the structured-output layer would. */
async function sendFormat(p: Protocol, responseFormat: ResponseFormat, options: StreamOptions = {}) {
  const session = await mockSession({ turns: [{ content: [{ type: 'text', text: '{}' }] }] });
  const message = await p
    .fn(p.model(session.baseUrl), ask, { ...p.auth, maxRetries: 0, responseFormat, ...options })
    .result();
  return { message, requests: await session.requests(), session };
}

/** POSTs `body` to the mock as the protocol's client would, for the refusal's whole body. */
async function post(p: Protocol, body: Json): Promise<{ status: number; body: unknown }> {
  const session = await mockSession({ turns: [{ content: [{ type: 'text', text: '{}' }] }] });
  const model = p.model(session.baseUrl);
  const path =
    p.name === 'openai-completions'
      ? '/chat/completions'
      : p.name === 'openai-responses'
        ? '/responses'
        : `/models/${model.id}:streamGenerateContent?alt=sse`;
  const response = await fetch(`${model.baseUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  // A refusal is JSON; a reply is an event stream, left as text.
  return { status: response.status, body: response.ok ? await response.text() : await response.json() };
}

const toolTurn: MockTurn = {
  content: [{ type: 'toolCall', id: 'call_w', name: 'weather', arguments: { city: 'Arrakeen' } }],
  stopReason: 'toolUse',
};

// ---------------------------------------------------------------- Chat Completions

describe('openai-completions: response_format', () => {
  const p = protocol('openai-completions');

  test('a strict schema: json_schema with its name, the schema as given, strict true', async () => {
    const { body, message } = await send(p, { output: strictSchema, outputName: 'book', maxTokens: 500 });
    expect(body.response_format).toEqual({
      type: 'json_schema',
      json_schema: { name: 'book', schema: strictSchema, strict: true },
    });
    expect(message.output).toEqual(answer);
    // The request's other fields stay.
    expect(body).toMatchObject({
      model: 'gpt-5-mini',
      stream: true,
      stream_options: { include_usage: true },
      max_completion_tokens: 500,
      messages: [
        { role: 'system', content: 'Answer with data.' },
        { role: 'user', content: 'Who wrote Dune, and when?' },
      ],
    });
  });

  test('a schema strict mode refuses goes with strict false; the name defaults to output', async () => {
    const { body } = await send(p, { output: looseSchema });
    expect(body.response_format).toEqual({
      type: 'json_schema',
      json_schema: { name: 'output', schema: looseSchema, strict: false },
    });
  });

  test('tools and response_format go together, and a turn of tool calls passes through', async () => {
    const { body, message } = await send(p, { output: strictSchema }, toolTurn, { ...ask, tools: [weather] });
    expect(body.tools).toEqual([{ type: 'function', function: weather }]);
    expect(body.response_format).toMatchObject({ type: 'json_schema', json_schema: { name: 'output', strict: true } });
    expect(body).not.toHaveProperty('tool_choice');
    expect(message.stopReason).toBe('toolUse');
    expect(message.output).toBeUndefined();
  });

  test('no output, no response_format', async () => {
    const { body } = await send(p, {}, { content: [{ type: 'text', text: 'Frank Herbert, 1965.' }] });
    expect(body).not.toHaveProperty('response_format');
  });

  test("the mock refuses a malformed response_format with OpenAI's 400", async () => {
    const cases: [ResponseFormat, string][] = [
      [
        { schema: strictSchema, strict: true } as unknown as ResponseFormat,
        "Missing required parameter: 'response_format.json_schema.name'.",
      ],
      [
        { name: 'a book', schema: strictSchema, strict: true },
        "Invalid 'response_format.json_schema.name': string does not match pattern. Expected a string that matches the pattern '^[a-zA-Z0-9_-]+$'.",
      ],
      [
        { name: 'book', schema: 'an object' as unknown as ResponseFormat['schema'], strict: false },
        "Invalid type for 'response_format.json_schema.schema': expected an object, but got a string instead.",
      ],
      [
        { name: 'book', schema: looseSchema, strict: true },
        "Invalid schema for response_format 'book': In context=(), 'additionalProperties' is required to be supplied and to be false.",
      ],
      [
        {
          name: 'book',
          schema: {
            ...strictSchema,
            properties: {
              ...strictSchema.properties,
              tags: { type: 'array', items: { ...looseSchema, additionalProperties: false } },
            },
          },
          strict: true,
        },
        "Invalid schema for response_format 'book': In context=('properties', 'tags', 'items'), 'required' is required to be supplied and to be an array including every key in properties. Missing 'year'.",
      ],
      [
        { name: 'list', schema: { type: 'array', items: { type: 'string' } }, strict: false },
        `Invalid schema for response_format 'list': schema must be a JSON Schema of 'type: "object"', got 'type: "array"'.`,
      ],
    ];
    for (const [format, error] of cases) {
      const { message, requests } = await sendFormat(p, format);
      expect(requests).toHaveLength(1);
      expect(message).toMatchObject({
        stopReason: 'error',
        errorStatus: 400,
        errorMessage: `HTTP 400 Bad Request: invalid_request_error: ${error}`,
      });
    }
    // The well-formed format of a strict schema is taken.
    const { message } = await sendFormat(p, { name: 'book', schema: strictSchema, strict: true });
    expect(message.stopReason).toBe('stop');
  });

  test("the refusal is OpenAI's whole error body, param and code included", async () => {
    const base = { model: 'gpt-5-mini', messages: [{ role: 'user', content: 'hi' }], stream: true };
    expect(
      await post(p, {
        ...base,
        response_format: { type: 'json_schema', json_schema: { name: 'book', schema: looseSchema, strict: true } },
      }),
    ).toEqual({
      status: 400,
      body: {
        error: {
          message:
            "Invalid schema for response_format 'book': In context=(), 'additionalProperties' is required to be supplied and to be false.",
          type: 'invalid_request_error',
          param: 'response_format',
          code: 'invalid_json_schema',
        },
      },
    });
    // The Responses API's flat form, sent to Chat Completions.
    expect(
      await post(p, { ...base, response_format: { type: 'json_schema', name: 'book', schema: strictSchema } }),
    ).toEqual({
      status: 400,
      body: {
        error: {
          message: "Missing required parameter: 'response_format.json_schema'.",
          type: 'invalid_request_error',
          param: 'response_format.json_schema',
          code: 'missing_required_parameter',
        },
      },
    });
  });
});

// ---------------------------------------------------------------- Responses

describe('openai-responses: text.format', () => {
  const p = protocol('openai-responses');
  const reasoning = (model: Model): Model => ({ ...model, reasoning: true });

  test('a strict schema: text.format flat, with its name, the schema as given, strict true', async () => {
    const { body, message } = await send(
      p,
      { output: strictSchema, outputName: 'book', maxTokens: 500, reasoning: 'low' },
      undefined,
      ask,
      reasoning,
    );
    expect(body.text).toEqual({ format: { type: 'json_schema', name: 'book', schema: strictSchema, strict: true } });
    expect(body).not.toHaveProperty('response_format');
    expect(message.output).toEqual(answer);
    // The request's other fields stay (this protocol sends no other `text` field, such as `verbosity`).
    expect(body).toMatchObject({
      model: 'gpt-6.1-terra',
      stream: true,
      store: false,
      instructions: 'Answer with data.',
      include: ['reasoning.encrypted_content'],
      max_output_tokens: 500,
      reasoning: { effort: 'low', summary: 'auto' },
    });
  });

  test('a schema strict mode refuses goes with strict false', async () => {
    const { body } = await send(p, { output: looseSchema });
    expect(body.text).toEqual({ format: { type: 'json_schema', name: 'output', schema: looseSchema, strict: false } });
  });

  test('tools and text.format go together, and a turn of tool calls passes through', async () => {
    const { body, message } = await send(p, { output: strictSchema }, toolTurn, { ...ask, tools: [weather] });
    expect(body.tools).toEqual([{ type: 'function', ...weather, strict: false }]);
    expect(body.text).toMatchObject({ format: { type: 'json_schema', name: 'output', strict: true } });
    expect(message.stopReason).toBe('toolUse');
  });

  test('no output, no text', async () => {
    const { body } = await send(p, {}, { content: [{ type: 'text', text: 'Frank Herbert, 1965.' }] });
    expect(body).not.toHaveProperty('text');
  });

  test("the mock refuses a malformed text.format with OpenAI's 400", async () => {
    const cases: [ResponseFormat, string][] = [
      [
        { schema: strictSchema, strict: true } as unknown as ResponseFormat,
        "Missing required parameter: 'text.format.name'.",
      ],
      [
        { name: 'book', strict: false } as unknown as ResponseFormat,
        "Missing required parameter: 'text.format.schema'.",
      ],
      [
        { name: 'book', schema: ['an', 'array'] as unknown as ResponseFormat['schema'], strict: false },
        "Invalid type for 'text.format.schema': expected an object, but got an array instead.",
      ],
      [
        { name: 'book', schema: looseSchema, strict: true },
        "Invalid schema for response_format 'book': In context=(), 'additionalProperties' is required to be supplied and to be false.",
      ],
      [
        { name: 'book', schema: { ...looseSchema, additionalProperties: false }, strict: true },
        "Invalid schema for response_format 'book': In context=(), 'required' is required to be supplied and to be an array including every key in properties. Missing 'year'.",
      ],
    ];
    for (const [format, error] of cases) {
      const { message } = await sendFormat(p, format);
      expect(message).toMatchObject({
        stopReason: 'error',
        errorStatus: 400,
        errorMessage: `HTTP 400 Bad Request: invalid_request_error: ${error}`,
      });
    }
    const { message } = await sendFormat(p, { name: 'book', schema: strictSchema, strict: true });
    expect(message.stopReason).toBe('stop');
  });

  test("the refusal is OpenAI's whole error body; the nested Chat Completions form lacks the name", async () => {
    const base = { model: 'gpt-6.1-terra', input: 'hi', stream: true };
    expect(
      await post(p, {
        ...base,
        text: { format: { type: 'json_schema', json_schema: { name: 'book', schema: strictSchema, strict: true } } },
      }),
    ).toEqual({
      status: 400,
      body: {
        error: {
          message: "Missing required parameter: 'text.format.name'.",
          type: 'invalid_request_error',
          param: 'text.format.name',
          code: 'missing_required_parameter',
        },
      },
    });
    expect(
      await post(p, {
        ...base,
        text: { format: { type: 'json_schema', name: 'book', schema: looseSchema, strict: true } },
      }),
    ).toEqual({
      status: 400,
      body: {
        error: {
          message:
            "Invalid schema for response_format 'book': In context=(), 'additionalProperties' is required to be supplied and to be false.",
          type: 'invalid_request_error',
          param: 'text.format.schema',
          code: 'invalid_json_schema',
        },
      },
    });
  });
});

// ---------------------------------------------------------------- Gemini

describe('google-generative-ai: responseMimeType and responseJsonSchema', () => {
  const p = protocol('google-generative-ai');
  const reasoning = (model: Model): Model => ({ ...model, reasoning: true });

  test('the schema goes whole in responseJsonSchema, with responseMimeType application/json', async () => {
    const { body, message } = await send(
      p,
      { output: strictSchema, outputName: 'book', maxTokens: 500, temperature: 0.2, reasoning: 'low' },
      undefined,
      ask,
      reasoning,
    );
    // JSON Schema as it is: `additionalProperties` and all, which the `responseSchema` subset would drop.
    expect(body.generationConfig).toEqual({
      maxOutputTokens: 500,
      temperature: 0.2,
      thinkingConfig: { includeThoughts: true, thinkingLevel: 'low' },
      responseMimeType: 'application/json',
      responseJsonSchema: strictSchema,
    });
    expect(body.systemInstruction).toEqual({ parts: [{ text: 'Answer with data.' }] });
    expect(message.output).toEqual(answer);
  });

  test('a schema strict mode refuses goes the same way: Gemini has no strict flag', async () => {
    const { body } = await send(p, { output: looseSchema });
    expect(body.generationConfig).toEqual({ responseMimeType: 'application/json', responseJsonSchema: looseSchema });
  });

  test('tools and responseJsonSchema go together, and a turn of tool calls passes through', async () => {
    const { body, message } = await send(p, { output: strictSchema }, toolTurn, { ...ask, tools: [weather] });
    // The tool's parameters still go through the subset converter; the output schema does not.
    expect(body.tools).toEqual([
      {
        functionDeclarations: [
          {
            name: 'weather',
            description: 'Looks up the weather',
            parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
          },
        ],
      },
    ]);
    expect(body.generationConfig).toEqual({ responseMimeType: 'application/json', responseJsonSchema: strictSchema });
    expect(message.stopReason).toBe('toolUse');
  });

  test('no output, no responseMimeType or responseJsonSchema', async () => {
    const { body } = await send(p, { maxTokens: 100 }, { content: [{ type: 'text', text: 'Frank Herbert, 1965.' }] });
    expect(body.generationConfig).toEqual({ maxOutputTokens: 100 });
  });

  test("the mock refuses a malformed generationConfig with Gemini's 400", async () => {
    const invalid = 'HTTP 400 Bad Request: INVALID_ARGUMENT: Request contains an invalid argument.';
    const notObject = await sendFormat(p, {
      name: 'book',
      schema: 'an object' as unknown as ResponseFormat['schema'],
      strict: false,
    });
    expect(notObject.message).toMatchObject({ stopReason: 'error', errorStatus: 400, errorMessage: invalid });
    // Both schema fields: `responseSchema` must be left out when `responseJsonSchema` is set.
    const both = await sendFormat(
      p,
      { name: 'book', schema: strictSchema, strict: true },
      {
        extraBody: {
          generationConfig: {
            responseMimeType: 'application/json',
            responseJsonSchema: strictSchema,
            responseSchema: { type: 'OBJECT' },
          },
        },
      },
    );
    expect(both.message).toMatchObject({ errorStatus: 400, errorMessage: invalid });

    expect(
      await post(p, {
        contents: [{ role: 'user', parts: [{ text: 'hi' }] }],
        generationConfig: { responseJsonSchema: strictSchema },
      }),
    ).toEqual({
      status: 400,
      body: {
        error: {
          code: 400,
          message: 'response_mime_type must be set when response_json_schema is set.',
          status: 'INVALID_ARGUMENT',
        },
      },
    });
    const unknown =
      'Invalid JSON payload received. Unknown name "responseFormat" at \'generation_config\': Cannot find field.';
    expect(
      await post(p, {
        contents: [{ role: 'user', parts: [{ text: 'hi' }] }],
        generationConfig: { responseFormat: {} },
      }),
    ).toEqual({
      status: 400,
      body: {
        error: {
          code: 400,
          message: unknown,
          status: 'INVALID_ARGUMENT',
          details: [
            {
              '@type': 'type.googleapis.com/google.rpc.BadRequest',
              fieldViolations: [{ field: 'generation_config', description: unknown }],
            },
          ],
        },
      },
    });
    // The proto's own snake_case names are read too.
    const snake = await post(p, {
      contents: [{ role: 'user', parts: [{ text: 'hi' }] }],
      generationConfig: { response_mime_type: 'application/json', response_json_schema: strictSchema },
    });
    expect(snake.status).toBe(200);
  });
});

// ---------------------------------------------------------------- the catalog

describe('the catalog: vendors that document no json_schema format ask with a forced tool', () => {
  test('DeepSeek (json_object only) and Qwen3 Coder Plus are tool; the other compatible vendors native', () => {
    expect(outputMode(getModel('deepseek', 'deepseek-flash'))).toBe('tool');
    expect(outputMode(getModel('deepseek', 'deepseek-v4-pro'))).toBe('tool');
    expect(outputMode(getModel('qwen', 'qwen3-coder-plus'))).toBe('tool');
    expect(outputMode(getModel('qwen', 'qwen-plus'))).toBe('native');
    expect(outputMode(getModel('kimi', 'kimi-k3'))).toBe('native');
    expect(outputMode(getModel('openai', 'gpt-4.1'))).toBe('native');
    expect(outputMode(getModel('openai', 'gpt-5'))).toBe('native');
    expect(outputMode(getModel('google', 'gemini-3.8-flash'))).toBe('native');
  });

  test('a DeepSeek model sends a forced tool and no response_format', async () => {
    const session = await mockSession({
      turns: [
        { content: [{ type: 'toolCall', id: 'call_o', name: 'output', arguments: answer }], stopReason: 'toolUse' },
      ],
    });
    const model = { ...getModel('deepseek', 'deepseek-flash'), baseUrl: `${session.baseUrl}/v1` };
    const message = await stream(model, ask, { apiKey: 'sk-test', output: strictSchema }).result();
    expect(message.output).toEqual(answer);
    const body = bodyOf((await session.requests())[0]);
    expect(body).not.toHaveProperty('response_format');
    expect(body.tool_choice).toEqual({ type: 'function', function: { name: 'output' } });
    // DeepSeek thinks unless told not to, and refuses a forced tool while it thinks.
    expect(body.thinking).toEqual({ type: 'disabled' });
    expect(body.tools).toEqual([
      {
        type: 'function',
        function: {
          name: 'output',
          description: 'Give the answer by calling this tool with it.',
          parameters: strictSchema,
        },
      },
    ]);
  });
});
