/**
 * A coding agent as a Cloudflare Worker: POST `{ "prompt": "…" }` with
 * `Authorization: Bearer <AGENT_SECRET>` and read its events as SSE, or use
 * `connectAgent` from qcore. Each request gets a fresh in-memory workspace.
 */
import { createCodingTools, findModel, MemoryWorkspace } from 'qcore';
import { createAgentHandler } from 'qcore/worker';

interface Env {
  /** Secret: `wrangler secret put ANTHROPIC_API_KEY`. */
  ANTHROPIC_API_KEY: string;
  /** Secret: `wrangler secret put AGENT_SECRET`. Whoever holds it spends the key above. */
  AGENT_SECRET: string;
  MODEL_ID: string;
  MODEL_BASE_URL: string;
}

const SYSTEM_PROMPT = `You are a coding agent working in a scratch workspace at /workspace.
Use the tools to read and write files there. Be brief.`;

export default {
  fetch: createAgentHandler((env: Env) => {
    const model = findModel('anthropic', env.MODEL_ID);
    if (!model) throw new Error(`MODEL_ID ${env.MODEL_ID} is not an Anthropic model qcore knows`);
    return {
      model: env.MODEL_BASE_URL ? { ...model, baseUrl: env.MODEL_BASE_URL } : model,
      systemPrompt: SYSTEM_PROMPT,
      tools: createCodingTools(
        new MemoryWorkspace({ 'README.md': '# Scratch\n\nFiles written here last one request.\n' }),
      ),
      streamOptions: { apiKey: env.ANTHROPIC_API_KEY },
      authorize: (request) => {
        // Fail closed: without a secret configured, nobody gets in.
        if (!env.AGENT_SECRET) return new Response('AGENT_SECRET is not set', { status: 500 });
        return sameText(request.headers.get('authorization') ?? '', `Bearer ${env.AGENT_SECRET}`);
      },
      onEvent: (event) => {
        if (event.type === 'agent_end') console.log(`agent run ended: ${event.stopReason}`);
      },
    };
  }),
};

/** Compares without returning early, so response times do not leak how much of the secret matched. */
function sameText(a: string, b: string): boolean {
  let difference = a.length ^ b.length;
  for (let i = 0; i < b.length; i++) difference |= (a.charCodeAt(i) || 0) ^ b.charCodeAt(i);
  return difference === 0;
}
