import { expect, test } from 'vitest';
import { Agent } from '../../src/agent/agent.js';
import type { Model } from '../../src/ai/types.js';
import { createCodingTools } from '../../src/tools/coding-tools.js';
import { MemoryWorkspace } from '../../src/tools/memory-workspace.js';
import { mockSession } from '../support/mock.js';

test('a coding agent lists, reads and writes through real tools on a MemoryWorkspace', async () => {
  const workspace = new MemoryWorkspace({
    'README.md': '# Demo\nA tiny project.\n',
    'src/main.ts': '// TODO: handle errors\nconsole.log(1);\n',
  });
  const session = await mockSession({
    turns: [
      { content: [{ type: 'toolCall', name: 'ls', arguments: { path: '.' } }], stopReason: 'toolUse' },
      {
        content: [
          { type: 'toolCall', id: 'r1', name: 'read', arguments: { path: 'README.md' } },
          { type: 'toolCall', id: 'g1', name: 'grep', arguments: { pattern: 'TODO' } },
        ],
        stopReason: 'toolUse',
      },
      {
        content: [
          {
            type: 'toolCall',
            id: 'w1',
            name: 'write',
            arguments: { path: 'notes/SUMMARY.md', content: '- handle errors\n' },
          },
        ],
        stopReason: 'toolUse',
      },
      { content: [{ type: 'text', text: 'Wrote notes/SUMMARY.md.' }] },
    ],
  });
  const model: Model = {
    id: 'claude-mock',
    name: 'mock',
    api: 'anthropic-messages',
    provider: 'anthropic',
    baseUrl: session.baseUrl,
    reasoning: false,
    input: ['text'],
    cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 },
    contextWindow: 200_000,
    maxTokens: 4_096,
  };
  const agent = new Agent({ model, tools: createCodingTools(workspace), streamOptions: { apiKey: 'k' } });
  await agent.prompt('Find all TODO comments and write a task list.');
  expect(agent.state.error).toBeUndefined();
  expect(new TextDecoder().decode(await workspace.readFile('notes/SUMMARY.md'))).toBe('- handle errors\n');
  const requests = await session.requests();
  expect(requests).toHaveLength(4);
  const third = JSON.stringify(requests[2]?.body);
  expect(third).toContain('A tiny project.');
  expect(third).toContain('src/main.ts:1:');
  expect(JSON.stringify(requests[1]?.body)).toContain('README.md');
});
