/** `qcore`'s root entry with no zod installed (issue 10, item 1). */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { installWithoutPeers, type NoPeersInstall } from './cli-support/no-peers.js';

let install: NoPeersInstall;
beforeAll(() => {
  install = installWithoutPeers();
});
afterAll(() => install?.remove());

const run: NoPeersInstall['run'] = (args, env) => install.run(args, env);
const script: NoPeersInstall['script'] = (name, text) => install.script(name, text);

describe('without zod', { timeout: 30_000 }, () => {
  test('the root entry loads, and the coding tools validate, with no zod', async () => {
    const file = script(
      'root.mts',
      `
      import { Agent, createCodingTools, MemoryWorkspace, stream } from './src/index.ts';
      const tools = createCodingTools(new MemoryWorkspace({ 'a.txt': 'one\\ntwo\\n' }));
      const read = tools.find((tool) => tool.name === 'read');
      const bad = await read.validate({ path: 'a.txt', offset: 0 });
      const good = await read.validate({ path: 'a.txt', offset: 2 });
      const result = await read.execute(good.value, { toolCallId: 't', signal: new AbortController().signal, onUpdate() {} });
      console.log(JSON.stringify({
        stream: typeof stream,
        agent: typeof Agent,
        tools: tools.map((tool) => tool.name),
        bad,
        text: result.content[0].text,
      }));
      `,
    );
    const result = await run([file]);
    expect(result.stderr).toBe('');
    const out = JSON.parse(result.stdout) as {
      stream: string;
      agent: string;
      tools: string[];
      bad: { ok: boolean; error: string };
      text: string;
    };
    expect(out.stream).toBe('function');
    expect(out.agent).toBe('function');
    expect(out.tools).toEqual(['read', 'write', 'edit', 'ls', 'find', 'grep']);
    expect(out.bad.ok).toBe(false);
    expect(out.bad.error).toContain('offset');
    expect(out.text).toBe('two');
  });

  test('the CLI checks its config file with no zod', async () => {
    mkdirSync(join(install.dir, 'home'), { recursive: true });
    writeFileSync(join(install.dir, 'home/config.json'), JSON.stringify({ default: { thinkng: 'high' } }));
    const result = await run(['adapters/node/cli.ts', '-p', 'hi'], { ANTHROPIC_API_KEY: 'k' });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('default: unknown key "thinkng" (did you mean "thinking"?)');
    expect(result.stderr).not.toContain('ERR_MODULE_NOT_FOUND');
  });

  test('zod is not reachable here, so the test means what it says', async () => {
    const result = await run([script('zod.mts', `await import('zod');`)]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('ERR_MODULE_NOT_FOUND');
  });
});
