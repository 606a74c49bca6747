/**
 * `qcore --demo`: the real agent, real tools and the real Anthropic client,
 * talking to a scripted model on a loopback mock server. It needs no key
 * and no network, and it writes exactly one file.
 */
import { findModel } from '../../../src/ai/models.js';
import type { Model } from '../../../src/ai/types.js';
import { startMockServer } from '../../../testing/mock-server.js';
import { DEMO_PROMPT, demoTurn } from './demo-script.js';
import { DEFAULT_MODELS } from './resolve-model.js';

const DEMO_BANNER = 'Demo: replaying a scripted model from a local mock server — no API key, no network.';

const DEMO_API_KEY = 'qcore-demo';

/** Enough turns for the task and for anything typed after it in interactive mode. */
const DEMO_TURNS = 500;
/**
 * Milliseconds between wire events on a terminal: six characters a delta at
 * this pace is about 400 a second, so a new user sees the reply stream.
 */
const PACE_MS = 15;

export interface Demo {
  model: Model;
  /** The key to send: the mock accepts any, and the client insists on one for anthropic. */
  apiKey: string;
  prompt: string;
  banner: string;
  close(): Promise<void>;
}

/** `paced`: replies stream at a watchable pace (on a terminal); otherwise as fast as they can. */
export async function startDemo(cwd: string, options: { paced: boolean } = { paced: false }): Promise<Demo> {
  const turn = (request: Parameters<typeof demoTurn>[0]) => {
    const reply = demoTurn(request, cwd);
    return options.paced && reply.type !== 'http' && reply.type !== 'raw' ? { ...reply, paceMs: PACE_MS } : reply;
  };
  const server = await startMockServer({ script: { turns: Array.from({ length: DEMO_TURNS }, () => turn) } });
  const id = DEFAULT_MODELS.anthropic ?? 'claude-sonnet-4-6';
  const base = findModel('anthropic', id);
  if (!base) throw new Error(`the demo model anthropic/${id} is missing from the catalog`);
  const model: Model = {
    ...base,
    name: `${base.name} (scripted demo)`,
    baseUrl: server.url,
    // Nothing is billed, so the usage line must not suggest it was.
    cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 },
  };
  return { model, apiKey: DEMO_API_KEY, prompt: DEMO_PROMPT, banner: DEMO_BANNER, close: () => server.close() };
}
