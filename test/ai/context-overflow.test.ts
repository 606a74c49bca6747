import { describe, expect, test } from 'vitest';
import type { AssistantMessageEvent, Context, StreamOptions } from '../../src/ai/types.js';
import { countReplyTokens, countRequestTokens } from '../../testing/context.js';
import type { MockReply, MockRequest, MockVariant } from '../../testing/script.js';
import { mockSession } from '../support/mock.js';
import { completionsVariants, overflowWords, type Protocol, protocols } from '../support/protocols.js';

/**
 * Every protocol, and every OpenAI-compatible server the mock plays, against a session with a
 * context window: a request over it gets the provider's real overflow error (status and body, see
 * `testing/wire/*.ts`), which the client must report as `context_overflow` so that an agent can
 * compact and retry; a request under it streams, its usage counted by the mock's rule.
 */

const cases: { label: string; key: string; p: Protocol; variant?: MockVariant }[] = [
  ...protocols.map((p) => ({ label: p.name, key: p.name, p })),
  ...completionsVariants.map(({ variant, protocol }) => ({
    label: `openai-completions (${variant})`,
    key: variant,
    p: protocol,
    variant,
  })),
];

const WINDOW = 100;
const MAX_TOKENS = 50;
const long: Context = {
  systemPrompt: 'You are terse.',
  messages: [{ role: 'user', content: `Read all of this: ${'lorem ipsum '.repeat(100)}`, timestamp: 1 }],
};
const short: Context = { messages: [{ role: 'user', content: 'Hi', timestamp: 1 }] };
const reply: MockReply = { content: [{ type: 'text', text: 'It fits in the window.' }] };

async function run(p: Protocol, variant: MockVariant | undefined, window: number, context: Context) {
  const id = p.model('http://unused').id;
  const session = await mockSession({ turns: [reply], models: { [id]: { contextWindow: window, variant } } });
  const options: StreamOptions = { ...p.auth, maxTokens: MAX_TOKENS, maxRetries: 2 };
  const stream = p.fn(p.model(session.baseUrl), context, options);
  const events: AssistantMessageEvent[] = [];
  for await (const event of stream) events.push(event);
  const message = await stream.result();
  const requests: MockRequest[] = await session.requests();
  await session.close();
  return { events, message, requests };
}

describe.each(cases)('$label', ({ key, p, variant }) => {
  test('a request over the window ends in a context_overflow error with the provider’s status and words', async () => {
    const { events, message, requests } = await run(p, variant, WINDOW, long);
    // Not retried: the same request would overflow again.
    expect(requests).toHaveLength(1);
    const input = countRequestTokens(requests[0] as MockRequest);
    expect(input).toBeGreaterThan(WINDOW);
    expect(events.map((event) => event.type)).toEqual(['start', 'error']);
    const last = events.at(-1) as Extract<AssistantMessageEvent, { type: 'error' }>;
    expect(last.reason).toBe('error');
    expect(last.error).toEqual(message);
    expect(message.stopReason).toBe('error');
    expect(message.errorKind).toBe('context_overflow');
    expect(message.errorStatus).toBe(400);
    expect(message.errorMessage).toMatch(/^HTTP 400/);
    expect(message.errorMessage).toContain(
      (overflowWords[key] as (typeof overflowWords)[string])(input, WINDOW, MAX_TOKENS),
    );
    expect(message.content).toEqual([]);
  });

  test('a request under the window streams normally, its usage counted by the mock’s rule', async () => {
    const { message, requests } = await run(p, variant, 5_000, short);
    expect(requests).toHaveLength(1);
    expect(message.stopReason).toBe('stop');
    expect(message.content).toEqual([p.text('It fits in the window.')]);
    const input = countRequestTokens(requests[0] as MockRequest);
    expect(input).toBeGreaterThan(0);
    expect(message.usage.input).toBe(input);
    expect(message.usage.output).toBe(countReplyTokens(reply));
    expect(message.usage.totalTokens).toBe(input + countReplyTokens(reply));
  });
});

describe('anthropic-messages: a prompt that fits, but not with its max_tokens', () => {
  const anthropic = protocols.find((p) => p.name === 'anthropic-messages') as Protocol;

  // The real 400 of Claude 3.7 and later: input plus max_tokens over the window.
  test('is a context_overflow', async () => {
    const { message: fits } = await run(anthropic, undefined, 5_000, short);
    const input = fits.usage.input;
    const window = input + MAX_TOKENS - 1;
    const { message, requests } = await run(anthropic, undefined, window, short);
    expect(requests).toHaveLength(1);
    expect(message.errorStatus).toBe(400);
    expect(message.errorMessage).toContain(
      `input length and \`max_tokens\` exceed context limit: ${input} + ${MAX_TOKENS} > ${window}, decrease input length or \`max_tokens\` and try again`,
    );
    expect(message.errorKind).toBe('context_overflow');
  });
});
