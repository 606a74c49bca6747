/**
 * The SDK with real tools: an Agent that reads and searches the code in a
 * directory (no write, edit or bash). Offline by default, against a scripted mock model;
 * pass --live (with ANTHROPIC_API_KEY set) to use Claude.
 *
 *   npx tsx examples/node/agent.ts [--live] [dir]
 */
import { Agent, createCodingTools, getModel } from 'qcore';
import { NodeWorkspace } from 'qcore/node';
import { startMockServer } from 'qcore/testing';

const live = process.argv.includes('--live');
const dir = process.argv.slice(2).find((arg) => !arg.startsWith('--')) ?? process.cwd();
const claude = getModel('anthropic', 'claude-sonnet-4-6');

// Offline: a mock model that lists the directory, greps for TODOs, then answers.
const mock = live
  ? undefined
  : await startMockServer({
      script: {
        turns: [
          { content: [{ type: 'toolCall', name: 'ls', arguments: { path: '.' } }], stopReason: 'toolUse' },
          {
            content: [{ type: 'toolCall', name: 'grep', arguments: { pattern: 'TODO', limit: 5 } }],
            stopReason: 'toolUse',
          },
          (request) => ({
            content: [
              {
                type: 'text',
                text: `Done: I looked at ${dir} (${JSON.stringify(request.body).length} bytes of context).`,
              },
            ],
          }),
        ],
      },
    });

const agent = new Agent({
  model: mock ? { ...claude, baseUrl: mock.url } : claude,
  systemPrompt: 'You are a coding agent. Be brief.',
  // NodeWorkspace runs grep's regex in a worker thread that can be killed.
  tools: createCodingTools(new NodeWorkspace(dir), { tools: ['read', 'ls', 'find', 'grep'] }),
  streamOptions: mock ? { apiKey: 'mock' } : {},
});

agent.subscribe((event) => {
  if (event.type === 'message_update' && event.assistantMessageEvent.type === 'text_delta') {
    process.stdout.write(event.assistantMessageEvent.delta);
  }
  if (event.type === 'tool_execution_start') console.log(`[${event.toolName}] ${JSON.stringify(event.args)}`);
  if (event.type === 'tool_execution_end') {
    const first = event.result.content[0];
    console.log(
      `  → ${first?.type === 'text' ? first.text.split('\n').length : 0} lines${event.isError ? ' (error)' : ''}`,
    );
  }
});

await agent.prompt('Find the TODO comments in this project and summarise them.');
console.log(agent.state.error ? `\nerror: ${agent.state.error}` : '');
await mock?.close();
