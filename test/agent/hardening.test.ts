/**
 * Hardening of the agent layer against a hostile or broken peer (issue #9):
 * connectAgent's redirects, redaction and bounds, and the echo of tool
 * arguments that fail their schema.
 */
import { describe, expect, test } from 'vitest';
import { z } from 'zod';
import { Agent } from '../../src/agent/agent.js';
import { connectAgent } from '../../src/agent/connect-agent.js';
import type { ToolResultMessage } from '../../src/ai/types.js';
import { defineTool } from '../../src/tools/define-tool.js';
import { endlessBody, leaks } from '../support/hostile.js';
import { mockSession } from '../support/mock.js';
import { scriptedStream, testModel } from '../support/scripted-stream.js';

const inBrowser = typeof document !== 'undefined';
const TOKEN = 'agent-token-Qw3rTy8uIo2pAs5dFg7hJk';
const headers = { authorization: `Bearer ${TOKEN}`, 'x-agent-key': `${TOKEN}-custom` };

describe('connectAgent', () => {
  test('does not follow a redirect to another origin, and names only that origin', async () => {
    const target = await mockSession({ turns: [{ content: [{ type: 'text', text: 'stolen' }] }] });
    const otherOrigin = target.baseUrl.replace('127.0.0.1', 'localhost');
    const source = await mockSession({
      turns: [{ type: 'http', status: 307, headers: { location: `${otherOrigin}/v1/messages?q=query-secret` } }],
    });
    const result = await connectAgent(`${source.baseUrl}/v1/messages`, { prompt: 'hi' }, { headers }).result();
    expect(result.stopReason).toBe('error');
    expect(await target.requests()).toHaveLength(0);
    if (inBrowser) {
      expect(result.errorMessage).toMatch(/redirect/i);
    } else {
      expect(result.errorMessage).toContain(new URL(otherOrigin).origin);
      expect(result.errorMessage).not.toContain('query-secret');
    }
  });

  test('follows a same-origin 307 with its headers outside a browser; in one it is an error', async () => {
    const target = await mockSession({ turns: [{ content: [{ type: 'text', text: 'not agent events' }] }] });
    const source = await mockSession({
      turns: [{ type: 'http', status: 307, headers: { location: `${target.baseUrl}/v1/messages` } }],
    });
    const result = await connectAgent(`${source.baseUrl}/v1/messages`, { prompt: 'hi' }, { headers }).result();
    expect(result.stopReason).toBe('error');
    const requests = await target.requests();
    if (inBrowser) {
      expect(result.errorMessage).toMatch(/browser/i);
      expect(requests).toHaveLength(0);
    } else {
      expect(requests[0]?.headers['x-agent-key']).toBe(`${TOKEN}-custom`);
    }
  });

  test('refuses a URL with credentials without showing them', async () => {
    let calls = 0;
    const result = await connectAgent(
      'https://alice:hunter2-pass@agent.test/run',
      { prompt: 'hi' },
      {
        fetch: async () => {
          calls++;
          return new Response('no', { status: 500 });
        },
      },
    ).result();
    expect(result.stopReason).toBe('error');
    expect(result.errorMessage).toContain('https://***@agent.test/run');
    expect(result.errorMessage).not.toContain('hunter2');
    expect(calls).toBe(0);
  });

  test.each([TOKEN.length - 1, 20, 8])(
    'redacts a token echoed across the 500-character cut of an error body (%i characters before it)',
    async (k) => {
      const body = `${'e'.repeat(500 - 'Bearer '.length - k)}Bearer ${TOKEN} was refused`;
      const result = await connectAgent(
        'https://agent.test/run',
        { prompt: 'hi' },
        { headers, fetch: async () => new Response(body, { status: 401 }) },
      ).result();
      expect(result.errorMessage).toMatch(/^connectAgent: HTTP 401/);
      expect(leaks(result.errorMessage, TOKEN)).toBe(false);
    },
  );

  test('reads an endless error body only up to a cap', async () => {
    const { body, pulled } = endlessBody(`${' '.repeat(64 * 1024 - 12)}${TOKEN}`, ' '.repeat(64 * 1024));
    const result = await connectAgent(
      'https://agent.test/run',
      { prompt: 'hi' },
      { headers, fetch: async () => new Response(body, { status: 502 }) },
    ).result();
    expect(result.errorMessage).toMatch(/^connectAgent: HTTP 502/);
    expect(leaks(result.errorMessage, TOKEN)).toBe(false);
    expect(pulled()).toBeLessThan(1024 * 1024);
  });

  test('ends with a clear error on an SSE line longer than 16 MiB, and stops reading', async () => {
    const { body, pulled } = endlessBody('event: agent_start\ndata: ', 'x'.repeat(256 * 1024));
    const result = await connectAgent(
      'https://agent.test/run',
      { prompt: 'hi' },
      {
        fetch: async () => new Response(body, { headers: { 'content-type': 'text/event-stream' } }),
      },
    ).result();
    expect(result.stopReason).toBe('error');
    expect(result.errorMessage).toMatch(/longer than 16 MiB/);
    expect(pulled()).toBeLessThan(24 * 1024 * 1024);
  });
});

describe('tool arguments that fail their schema', () => {
  const counter = defineTool({
    name: 'count',
    description: 'Counts numbers',
    parameters: z.object({ label: z.number(), items: z.array(z.number()) }),
    execute: async () => ({ content: [{ type: 'text', text: 'never' }] }),
  });

  async function toolResultFor(args: Record<string, unknown>): Promise<string> {
    const streamFn = scriptedStream([{ toolCalls: [{ name: 'count', args }] }, { text: 'done' }]);
    const agent = new Agent({ model: testModel, tools: [counter], streamFn });
    await agent.prompt('go');
    const result = agent.state.messages.find((m): m is ToolResultMessage => m.role === 'toolResult');
    expect(result?.isError).toBe(true);
    const part = result?.content[0];
    return part?.type === 'text' ? part.text : '';
  }

  test('are echoed only in part when they are huge', async () => {
    const text = await toolResultFor({ label: 'x'.repeat(1_000_000), items: [] });
    expect(text).toMatch(/^Invalid arguments for tool "count"/);
    expect(text).toMatch(/characters\)/);
    expect(text.length).toBeLessThan(10_000);
  });

  test('list only the first issues when there are many', async () => {
    const text = await toolResultFor({ label: 1, items: Array.from({ length: 50_000 }, () => 'not a number') });
    expect(text).toMatch(/and 49980 more issues/);
    expect(text.length).toBeLessThan(10_000);
  });
});
