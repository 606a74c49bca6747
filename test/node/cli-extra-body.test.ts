import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type MockServer, startMockServer } from '../../testing/mock-server.js';
import { type Project, removeTempProjects, runCli, tempProject } from './cli-support/run-cli.js';

/** `extra_body` in the config, and a llama.cpp model whose thinking is switched by `chat_template_kwargs`. */

let mock: MockServer;
beforeAll(async () => {
  mock = await startMockServer();
});
afterAll(async () => {
  await mock.close();
  removeTempProjects();
});

function writeConfig(project: Project, config: unknown): void {
  mkdirSync(project.home, { recursive: true });
  writeFileSync(join(project.home, 'config.json'), JSON.stringify(config, null, 2));
}

const llamaModel = (baseUrl: string) => ({
  provider: 'llamacpp',
  id: 'qwen3-8b',
  api: 'openai-completions',
  base_url: `${baseUrl}/v1`,
  reasoning: true,
  extra_body: { top_k: 20, min_p: 0 },
  compat: { max_tokens_field: 'max_tokens', thinking_format: 'chat_template_kwargs' },
});

describe.concurrent('config extra_body and llama.cpp thinking', { timeout: 30_000 }, () => {
  test('a bad extra_body names its place in the file, and the fields qcore builds are refused by name', async () => {
    const project = tempProject();
    writeConfig(project, {
      models: {
        providers: { anthropic: { extra_body: { model: 'other', stream: false, top_k: 1 } } },
        custom: [{ ...llamaModel('http://127.0.0.1:9'), extra_body: 'top_k=20' }],
      },
    });
    const result = await runCli(project, ['-p', 'hi']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('has 3 errors');
    expect(result.stderr).toContain(
      'models.providers.anthropic.extra_body.model: qcore builds this field, so extra_body cannot set it (refused: model, messages, input, contents, stream, tools, toolConfig)',
    );
    expect(result.stderr).toContain('models.providers.anthropic.extra_body.stream: qcore builds this field');
    expect(result.stderr).toContain('models.custom[0].extra_body: Invalid input: expected object, received string');
  });

  test.each([
    { thinking: 'off', enabled: false },
    { thinking: 'high', enabled: true },
  ])(
    '--thinking $thinking against llama-server: chat_template_kwargs.enable_thinking $enabled, with the extra fields',
    async ({ thinking, enabled }) => {
      const session = mock.session({ turns: [{ variant: 'llama.cpp', content: [{ type: 'text', text: 'ok' }] }] });
      const project = tempProject();
      writeConfig(project, {
        default: { provider: 'llamacpp', model: 'qwen3-8b' },
        models: {
          // The provider's fields go over the model's own.
          providers: { llamacpp: { extra_body: { top_k: 40, cache_prompt: true } } },
          custom: [llamaModel(session.baseUrl)],
        },
      });
      const result = await runCli(project, ['--thinking', thinking, '-p', 'hi']);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      const body = session.requests[0]?.body as Record<string, unknown>;
      expect(body.chat_template_kwargs).toEqual({ enable_thinking: enabled });
      expect(body).not.toHaveProperty('enable_thinking');
      expect(body).toMatchObject({ model: 'qwen3-8b', stream: true, top_k: 40, min_p: 0, cache_prompt: true });
    },
  );
});
