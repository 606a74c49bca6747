import { describe, expect, test } from 'vitest';
import { Agent } from '../../src/agent/agent.js';
import { connectAgent } from '../../src/agent/connect-agent.js';
import type { AgentEvent } from '../../src/agent/types.js';
import { createAgentHandler } from '../../src/agent/wire/agent-handler.js';
import type { Model } from '../../src/ai/types.js';
import type { MockTurn } from '../../testing/script.js';
import { mockSession } from '../support/mock.js';

const ENDPOINT = 'https://agent.test/run';

function claude(baseUrl: string): Model {
  return {
    id: 'claude-mock',
    name: 'mock',
    api: 'anthropic-messages',
    provider: 'anthropic',
    baseUrl,
    reasoning: false,
    input: ['text'],
    cost: { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 },
    contextWindow: 200_000,
    maxTokens: 4_096,
  };
}

const overflow: MockTurn = {
  type: 'http',
  status: 400,
  body: {
    type: 'error',
    error: { type: 'invalid_request_error', message: 'prompt is too long: 208310 tokens > 200000 maximum' },
  },
};

const rateLimited: MockTurn = {
  type: 'http',
  status: 429,
  body: {
    type: 'error',
    error: { type: 'rate_limit_error', message: 'Number of requests has exceeded your rate limit' },
  },
  headers: { 'retry-after': '90' },
};

describe('the kind of a failed reply reaches the end of the run', () => {
  test('Agent: agent_end and the run result carry errorKind and errorStatus', async () => {
    const session = await mockSession({ turns: [overflow] });
    const agent = new Agent({ model: claude(session.baseUrl), streamOptions: { apiKey: 'sk-test', maxRetries: 0 } });
    const ends: AgentEvent[] = [];
    agent.subscribe((event) => {
      if (event.type === 'agent_end') ends.push(event);
    });
    const result = await agent.prompt('hi');
    expect(result.stopReason).toBe('error');
    expect(result.errorKind).toBe('context_overflow');
    expect(result.errorStatus).toBe(400);
    expect(ends[0]).toMatchObject({ stopReason: 'error', errorKind: 'context_overflow', errorStatus: 400 });
  });

  test('Agent: retry-after survives to the run result (a wait longer than 60 s is not retried)', async () => {
    const session = await mockSession({ turns: [rateLimited] });
    const agent = new Agent({ model: claude(session.baseUrl), streamOptions: { apiKey: 'sk-test' } });
    const result = await agent.prompt('hi');
    expect(result.errorKind).toBe('rate_limit');
    expect(result.retryAfterMs).toBe(90_000);
  });

  test('connectAgent: the remote run’s kind comes over the wire', async () => {
    const session = await mockSession({ turns: [overflow] });
    const handler = createAgentHandler({
      model: claude(session.baseUrl),
      streamOptions: { apiKey: 'sk-test', maxRetries: 0 },
    });
    const run = connectAgent(ENDPOINT, { prompt: 'hi' }, { fetch: (url, init) => handler(new Request(url, init), {}) });
    const result = await run.result();
    expect(result.stopReason).toBe('error');
    expect(result.errorKind).toBe('context_overflow');
    expect(result.errorStatus).toBe(400);
  });
});
