import { describe, expect, expectTypeOf, test } from 'vitest';
import { z } from 'zod';
import { defineTool } from '../../src/tools/define-tool.js';

const context = { toolCallId: 't', signal: new AbortController().signal, onUpdate: () => {} };

describe('defineTool', () => {
  test('types args from a zod schema and validates before execute', async () => {
    const weather = defineTool({
      name: 'weather',
      description: 'Weather',
      parameters: z.object({ city: z.string(), unit: z.enum(['c', 'f']).default('c') }),
      execute: async (args) => {
        expectTypeOf(args).toEqualTypeOf<{ city: string; unit: 'c' | 'f' }>();
        return { content: [{ type: 'text', text: `${args.city} in ${args.unit}` }] };
      },
    });
    const ok = await weather.validate?.({ city: 'Oslo' });
    expect(ok).toEqual({ ok: true, value: { city: 'Oslo', unit: 'c' } });
    const bad = await weather.validate?.({ city: 7, unit: 'k' });
    expect(bad?.ok).toBe(false);
    expect(bad?.ok === false && bad.error).toMatch(/^- city: .*\n- unit: /);
    if (ok?.ok)
      expect(await weather.execute(ok.value, context)).toEqual({ content: [{ type: 'text', text: 'Oslo in c' }] });
  });

  test('sends providers the input-side JSON Schema without $schema', () => {
    const tool = defineTool({
      name: 'complex',
      description: 'Every shape providers must accept',
      parameters: z.object({
        mode: z.enum(['fast', 'slow']).describe('How to run'),
        count: z.number().int().min(1).default(3),
        note: z.string().optional(),
        target: z.union([z.object({ path: z.string() }), z.object({ url: z.string() })]),
        nested: z.object({ deep: z.object({ flag: z.boolean() }) }),
        tags: z.array(z.string()),
      }),
      execute: async () => ({ content: [] }),
    });
    const schema = tool.parameters as {
      $schema?: string;
      required: string[];
      properties: Record<string, Record<string, unknown>>;
    };
    expect(schema.$schema).toBeUndefined();
    expect(schema.required.sort()).toEqual(['mode', 'nested', 'tags', 'target']);
    expect(schema.properties.mode).toEqual({ type: 'string', enum: ['fast', 'slow'], description: 'How to run' });
    expect(schema.properties.count).toMatchObject({ type: 'integer', minimum: 1, default: 3 });
    expect(schema.properties.target?.anyOf).toHaveLength(2);
    expect(JSON.parse(JSON.stringify(schema))).toEqual(schema); // plain JSON
  });

  test('accepts a plain JSON Schema, with untyped args and a basic check', async () => {
    const tool = defineTool({
      name: 'plain',
      description: 'Plain',
      parameters: {
        type: 'object',
        properties: {
          path: { type: 'string' },
          mode: { enum: ['a', 'b'] },
          list: { type: 'array', items: { type: 'number' } },
        },
        required: ['path'],
        additionalProperties: false,
      },
      execute: async (args) => {
        expectTypeOf(args).toEqualTypeOf<Record<string, unknown>>();
        return { content: [{ type: 'text', text: String(args.path) }] };
      },
    });
    expect(await tool.validate?.({ path: 'a' })).toEqual({ ok: true, value: { path: 'a' } });
    const bad = await tool.validate?.({ mode: 'c', list: [1, 'x'], extra: true });
    expect(bad?.ok === false && bad.error.split('\n')).toEqual([
      '- path: required',
      '- mode: expected one of "a", "b"',
      '- list[1]: expected number, received string',
      '- extra: unknown field',
    ]);
  });

  test('keeps the writes hook for path locking', () => {
    const tool = defineTool({
      name: 'w',
      description: 'w',
      parameters: z.object({ path: z.string() }),
      writes: ({ path }) => path,
      execute: async () => ({ content: [] }),
    });
    expect(tool.writes?.({ path: 'x.txt' })).toBe('x.txt');
  });
});
