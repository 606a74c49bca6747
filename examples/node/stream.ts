/**
 * Streams one reply through qcore's real Anthropic client, from the offline
 * mock provider: no key, no network. Set ANTHROPIC_API_KEY and pass --live
 * to ask the real Claude instead.
 *
 *   npx tsx examples/node/stream.ts [--live]
 */
import { getModel, type Model, stream } from 'qcore';
import { startMockServer } from 'qcore/testing';

const live = process.argv.includes('--live');
const catalogModel = getModel('anthropic', 'claude-sonnet-4-6');

const mock = live
  ? undefined
  : await startMockServer({
      script: {
        turns: [
          {
            content: [
              { type: 'thinking', thinking: 'Rayleigh scattering: shorter wavelengths scatter more.' },
              { type: 'text', text: 'Sunlight scatters off air molecules, and blue light scatters the most.' },
            ],
            usage: { input: 24, output: 31 },
            deltaSize: 4,
          },
        ],
      },
    });
const model: Model = mock ? { ...catalogModel, baseUrl: mock.url } : catalogModel;
if (mock) console.log(`(replaying a scripted reply from the mock provider at ${mock.url})\n`);

const s = stream(
  model,
  { messages: [{ role: 'user', content: 'Why is the sky blue? One sentence.', timestamp: Date.now() }] },
  { reasoning: 'low', apiKey: mock ? 'mock-key' : undefined },
);
for await (const event of s) {
  if (event.type === 'thinking_delta') process.stdout.write(`\x1b[2m${event.delta}\x1b[0m`);
  if (event.type === 'thinking_end') process.stdout.write('\n\n');
  if (event.type === 'text_delta') process.stdout.write(event.delta);
}
const message = await s.result();
if (message.stopReason === 'error') console.error(`\nerror: ${message.errorMessage}`);
console.log(
  `\n\n${message.usage.totalTokens} tokens, $${message.usage.cost.total.toFixed(6)}, stop: ${message.stopReason}`,
);
await mock?.close();
