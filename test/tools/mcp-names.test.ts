import { describe, expect, test } from 'vitest';
import { mcpResultToToolResult, mcpToolNames, progressText, shortHash } from '../../src/mcp/tool-adapter.js';

describe('MCP tool names', () => {
  test('mcp__<server>__<tool>, unchanged when it fits', () => {
    expect(mcpToolNames('srv', ['echo', 'read-file'])).toEqual(['mcp__srv__echo', 'mcp__srv__read-file']);
  });

  test('other characters become _', () => {
    expect(mcpToolNames('my server', ['get/é'])).toEqual(['mcp__my_server__get__']);
  });

  test('a name past 64 characters is cut and ends in a stable hash of the full name', () => {
    const tool = `t${'x'.repeat(80)}`;
    const [name] = mcpToolNames('srv', [tool]);
    expect(name).toHaveLength(64);
    expect(name).toBe(`mcp__srv__${'t'}${'x'.repeat(46)}_${shortHash(`mcp__srv__${tool}`)}`);
    expect(mcpToolNames('srv', [tool])).toEqual([name]);
    expect(name).toMatch(/^[A-Za-z][A-Za-z0-9_-]{0,63}$/);
  });

  test('names that collide once sanitised all get a hash, whatever the order', () => {
    const names = mcpToolNames('s', ['a.b', 'a_b']);
    expect(names[0]).toMatch(/^mcp__s__a_b_[0-9a-f]{6}$/);
    expect(names[1]).toMatch(/^mcp__s__a_b_[0-9a-f]{6}$/);
    expect(names[0]).not.toBe(names[1]);
    expect(mcpToolNames('s', ['a_b', 'a.b'])).toEqual([names[1], names[0]]);
  });

  test('FNV-1a, 6 hex characters', () => {
    expect(shortHash('')).toBe('811c9d');
    expect(shortHash('a')).toBe('e40c29');
  });
});

describe('MCP results as tool results', () => {
  const details = { server: 's', tool: 't' };

  test('text, image, embedded resources, links', () => {
    const result = mcpResultToToolResult(
      {
        content: [
          { type: 'text', text: 'hi' },
          { type: 'image', data: 'AAAA', mimeType: 'image/png' },
          { type: 'resource', resource: { uri: 'file:///a.txt', text: 'inside' } },
          { type: 'resource', resource: { uri: 'file:///b.bin', blob: 'AAAA', mimeType: 'application/octet-stream' } },
          { type: 'resource_link', uri: 'file:///c.md', name: 'c', mimeType: 'text/markdown' },
        ],
      },
      details,
    );
    expect(result.isError).toBeUndefined();
    expect(result.content).toEqual([
      { type: 'text', text: 'hi' },
      { type: 'image', data: 'AAAA', mimeType: 'image/png' },
      { type: 'text', text: 'inside' },
      { type: 'text', text: '[resource file:///b.bin (application/octet-stream)]' },
      { type: 'text', text: '[resource link] c: file:///c.md (text/markdown)' },
    ]);
  });

  test('isError is kept; structuredContent is JSON text when there is no content', () => {
    expect(mcpResultToToolResult({ content: [{ type: 'text', text: 'no' }], isError: true }, details)).toMatchObject({
      isError: true,
      content: [{ type: 'text', text: 'no' }],
    });
    expect(mcpResultToToolResult({ structuredContent: { a: 1 } }, details).content).toEqual([
      { type: 'text', text: '{"a":1}' },
    ]);
  });

  test('progress text', () => {
    expect(progressText({ progress: 3, total: 10, message: 'copying' })).toBe('progress 3/10: copying');
    expect(progressText({ progress: 3 })).toBe('progress 3');
  });
});
