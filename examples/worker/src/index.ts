/**
 * A durable coding agent as a Cloudflare Worker: one Durable Object per
 * conversation keeps its history in SQLite, runs go on when the client
 * leaves, and any number of clients can follow a session's event stream and
 * pick it up again after a disconnect. Every route needs
 * `Authorization: Bearer <AGENT_SECRET>`. See README.md for the routes.
 */
import { createCodingTools, findModel, MemoryWorkspace } from 'qcore';
import { createAgentSessionHandler, defineAgentSession } from 'qcore/worker';

interface Env {
  /** Secret: `wrangler secret put ANTHROPIC_API_KEY`. */
  ANTHROPIC_API_KEY: string;
  /** Secret: `wrangler secret put AGENT_SECRET`. Whoever holds it spends the key above. */
  AGENT_SECRET: string;
  MODEL_ID: string;
  MODEL_BASE_URL: string;
  /** Tools that wait for `POST /sessions/:id/approve` (or `deny`) before they run, comma-separated. */
  APPROVE_TOOLS: string;
  /** Browser origins that may call the Worker, comma-separated (such as the browser example's). */
  CORS_ORIGIN: string;
  /** The Durable Object namespace of `AgentSession` (wrangler.jsonc). */
  AGENT_SESSIONS: unknown;
}

const SYSTEM_PROMPT = `You are a coding agent working in a scratch workspace at /workspace.
Use the tools to read and write files there. Be brief.`;

/** The Durable Object class: one object per session. `setup` runs once each time the object starts. */
export const AgentSession = defineAgentSession<Env>((env) => {
  const model = findModel('anthropic', env.MODEL_ID);
  if (!model) throw new Error(`MODEL_ID ${env.MODEL_ID} is not an Anthropic model qcore knows`);
  const approve = new Set(list(env.APPROVE_TOOLS));
  return {
    model: env.MODEL_BASE_URL ? { ...model, baseUrl: env.MODEL_BASE_URL } : model,
    systemPrompt: SYSTEM_PROMPT,
    // In the object's memory: the files last while it stays in memory. The history is in its SQLite.
    tools: createCodingTools(
      new MemoryWorkspace({ 'README.md': '# Scratch\n\nFiles written here last while the session stays in memory.\n' }),
    ),
    streamOptions: { apiKey: env.ANTHROPIC_API_KEY },
    beforeToolCall: ({ toolCall }) =>
      approve.has(toolCall.name) ? { ask: true, reason: `${toolCall.name} is in APPROVE_TOOLS` } : undefined,
  };
});

/**
 * One shared secret is one identity: everyone who holds it sees and drives every
 * session (`true` is the empty identity). To give each user sessions of their own,
 * check your own user session here and return `{ identity: userId }`.
 */
function authorize(request: Request, env: Env): boolean | Response {
  // Fail closed: without a secret configured, nobody gets in.
  if (!env.AGENT_SECRET) return new Response('AGENT_SECRET is not set', { status: 500 });
  return sameText(request.headers.get('authorization') ?? '', `Bearer ${env.AGENT_SECRET}`);
}

export default {
  // Made per request, since CORS_ORIGIN comes with `env`; making it costs a few closures.
  fetch(request: Request, env: Env): Promise<Response> {
    const origins = list(env.CORS_ORIGIN);
    return createAgentSessionHandler<Env>({
      authorize,
      ...(origins.length > 0 ? { cors: { origin: origins } } : {}),
    }).fetch(request, env);
  },
};

function list(text: string | undefined): string[] {
  return (text ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

/** Compares without returning early, so response times do not leak how much of the secret matched. */
function sameText(a: string, b: string): boolean {
  let difference = a.length ^ b.length;
  for (let i = 0; i < b.length; i++) difference |= (a.charCodeAt(i) || 0) ^ b.charCodeAt(i);
  return difference === 0;
}
