/**
 * The Worker the durable-session tests run: `defineAgentSession` over the
 * loopback mock model (the session id names the mock session, so each test
 * scripts its own replies), coding tools on a memory workspace, and a
 * `beforeToolCall` that holds `write` for approval. The caller's identity is
 * the `x-user` header; without it, 401.
 */
import { createAgentSessionHandler, defineAgentSession } from '../../adapters/worker/workerd.js';
import type { Model } from '../../src/ai/types.js';
import { createCodingTools } from '../../src/tools/coding-tools.js';
import { MemoryWorkspace } from '../../src/tools/memory-workspace.js';

export interface Env {
  MOCK_URL: string;
  AGENT_SESSIONS: unknown;
  /** The same sessions with a short idle timeout, under `/short/sessions`. */
  SHORT_SESSIONS: unknown;
}

function claude(baseUrl: string): Model {
  return {
    id: 'claude-mock',
    name: 'mock',
    api: 'anthropic-messages',
    provider: 'anthropic',
    baseUrl,
    reasoning: false,
    input: ['text'],
    cost: { input: 3, output: 15, cacheRead: 0, cacheWrite: 0 },
    contextWindow: 200_000,
    maxTokens: 4_096,
  };
}

const setup = (env: Env, sessionId: string) => ({
  model: claude(`${env.MOCK_URL}/s/${sessionId}`),
  systemPrompt: 'You are a test agent.',
  tools: createCodingTools(new MemoryWorkspace({ 'README.md': '# Durable\n' })),
  streamOptions: { apiKey: 'sk-test' },
  beforeToolCall: ({ toolCall }: { toolCall: { name: string } }) =>
    toolCall.name === 'write' ? { ask: true as const, reason: 'writes a file' } : undefined,
});

export const AgentSession = defineAgentSession<Env>(setup, { watchdogMs: 500, heartbeatMs: 1_000, retryMs: 50 });

/** A run with no event for 300 ms is idle, and the watchdog, every 100 ms, ends it. */
export const ShortIdleSession = defineAgentSession<Env>(setup, {
  binding: 'SHORT_SESSIONS',
  idleTimeoutMs: 300,
  watchdogMs: 100,
});

const authorize = (request: Request) => {
  const user = request.headers.get('x-user');
  return user ? { identity: user } : false;
};
const sessions = createAgentSessionHandler<Env>({ authorize });
const shortSessions = createAgentSessionHandler<Env>({ binding: 'SHORT_SESSIONS', authorize });

export default {
  fetch: (request: Request, env: Env) =>
    new URL(request.url).pathname.startsWith('/short/')
      ? shortSessions.fetch(request, env)
      : sessions.fetch(request, env),
};
