import { describe, expect, expectTypeOf, test } from 'vitest';
import { z } from 'zod';
import { createCodingTools } from '../../src/tools/coding-tools.js';
import { defineTool, typedJsonSchema } from '../../src/tools/define-tool.js';
import { MemoryWorkspace } from '../../src/tools/memory-workspace.js';

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

  test('types args from a typedJsonSchema and checks ranges, lengths and integers', async () => {
    const tool = defineTool({
      name: 'ranges',
      description: 'Ranges',
      parameters: typedJsonSchema<{ name: string; count?: number; ratio?: number; tags?: string[] }>({
        type: 'object',
        properties: {
          name: { type: 'string', minLength: 1, maxLength: 5 },
          count: { type: 'integer', minimum: 1, maximum: 20 },
          ratio: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1 },
          tags: { type: 'array', items: { type: 'string' }, minItems: 1, maxItems: 2 },
        },
        required: ['name'],
      }),
      execute: async (args) => {
        expectTypeOf(args).toEqualTypeOf<{ name: string; count?: number; ratio?: number; tags?: string[] }>();
        return { content: [{ type: 'text', text: args.name }] };
      },
    });
    expect(await tool.validate?.({ name: 'a', count: 20, ratio: 0.5, tags: ['x'] })).toMatchObject({ ok: true });
    const low = await tool.validate?.({ name: '', count: 0, ratio: 0, tags: [] });
    expect(low?.ok === false && low.error.split('\n')).toEqual([
      '- name: too short: expected a non-empty string, received 0 characters',
      '- count: too small: expected >= 1, received 0',
      '- ratio: too small: expected > 0, received 0',
      '- tags: too short: expected at least 1 item, received 0 items',
    ]);
    const high = await tool.validate?.({ name: 'abcdef', count: 1.5, ratio: 1, tags: ['a', 'b', 'c'] });
    expect(high?.ok === false && high.error.split('\n')).toEqual([
      '- name: too long: expected at most 5 characters, received 6 characters',
      '- count: expected integer, received number 1.5',
      '- ratio: too big: expected < 1, received 1',
      '- tags: too long: expected at most 2 items, received 3 items',
    ]);
    expect(await tool.validate?.({ name: 'a', count: 21 })).toEqual({
      ok: false,
      error: '- count: too big: expected <= 20, received 21',
    });
  });

  test("the coding tools' schemas say what is wrong, field by field", async () => {
    const workspace = Object.assign(new MemoryWorkspace(), {
      exec: async () => ({ stdout: '', stderr: '', exitCode: 0 }),
    });
    const tools = new Map(createCodingTools(workspace).map((tool) => [tool.name, tool]));
    const error = async (name: string, args: unknown) => {
      const result = await tools.get(name)?.validate?.(args);
      return result?.ok === false ? result.error : undefined;
    };
    expect(await error('read', {})).toBe('- path: required');
    expect(await error('read', { path: 3 })).toBe('- path: expected string, received number 3');
    expect(await error('read', { path: 'a', offset: 0 })).toBe('- offset: too small: expected >= 1, received 0');
    expect(await error('read', null)).toBe('- (root): expected object, received null');
    expect(await error('edit', { path: 'a', oldText: '', newText: 'b' })).toBe(
      '- oldText: too short: expected a non-empty string, received 0 characters',
    );
    expect(await error('grep', { pattern: 'a', context: 21 })).toBe('- context: too big: expected <= 20, received 21');
    expect(await error('grep', { pattern: 'a', ignoreCase: 'yes' })).toBe(
      '- ignoreCase: expected boolean, received string',
    );
    expect(await error('bash', { command: 'x', timeout: 0 })).toBe('- timeout: too small: expected > 0, received 0');
    expect(await error('find', { pattern: '*', limit: 2 })).toBeUndefined();
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
