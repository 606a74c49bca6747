import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type MockServer, startMockServer } from '../../testing/mock-server.js';
import { type Project, removeTempProjects, runCli, tempProject } from './cli-support/run-cli.js';
import { body, textReply } from './cli-support/wire.js';

let mock: MockServer;
beforeAll(async () => {
  mock = await startMockServer();
});
afterAll(async () => {
  await mock.close();
  removeTempProjects();
});

function writeConfig(project: Project, config: unknown): string {
  mkdirSync(project.home, { recursive: true });
  const path = join(project.home, 'config.json');
  writeFileSync(path, typeof config === 'string' ? config : JSON.stringify(config, null, 2));
  return path;
}

const noStackTrace = (text: string) => expect(text).not.toMatch(/^\s+at /m);

describe.concurrent('missing key', { timeout: 30_000 }, () => {
  test('exits 1 before any request, naming the environment variable and the config key', async () => {
    const session = mock.session({ turns: [textReply('never sent')] });
    const project = tempProject();
    const result = await runCli(project, ['--base-url', session.baseUrl, '-p', 'hi']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('no API key for anthropic');
    expect(result.stderr).toContain('ANTHROPIC_API_KEY');
    expect(result.stderr).toContain('models.providers.anthropic.api_key');
    expect(result.stderr).toContain(join(project.home, 'config.json'));
    expect(session.requests).toHaveLength(0);
  });

  test('names every variable a provider reads', async () => {
    const project = tempProject();
    const result = await runCli(project, ['--provider', 'qwen', '-p', 'hi']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('DASHSCOPE_API_KEY or QWEN_API_KEY');
    expect(result.stderr).toContain('models.providers.qwen.api_key');
  });
});

describe.concurrent('bad config file', { timeout: 30_000 }, () => {
  test('invalid JSON: exit 1, the file, the line and no stack trace', async () => {
    const project = tempProject();
    const path = writeConfig(project, '{\n  "default": { "provider": "anthropic", }\n}\n');
    const result = await runCli(project, ['-p', 'hi']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`the config file ${path} is not valid JSON`);
    expect(result.stderr).toContain('line 2');
    noStackTrace(result.stderr);
  });

  test('a JSON error never quotes the file, which may hold a key', async () => {
    const project = tempProject();
    writeConfig(project, '{\n  "models": { "providers": { "anthropic": { "api_key": sk-ant-secret-value } } }\n}\n');
    const result = await runCli(project, ['-p', 'hi']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("is not valid JSON (line 2, column 56): Unexpected token 's'");
    expect(result.stderr).not.toContain('sk-ant');
  });

  test('a schema error names the path inside the file and what is wrong', async () => {
    const project = tempProject();
    const path = writeConfig(project, {
      models: { providers: { qwen: { api_key: 42 }, anthropic: { api_kye: 'x' } } },
      default: { thinking: 'extreme' },
    });
    const result = await runCli(project, ['-p', 'hi']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`the config file ${path} has 3 errors:`);
    expect(result.stderr).toContain('models.providers.qwen.api_key: Invalid input: expected string, received number');
    expect(result.stderr).toContain('models.providers.anthropic: unknown key "api_kye" (did you mean "api_key"?)');
    expect(result.stderr).toMatch(/default\.thinking: Invalid option: expected one of "off"\|"minimal"/);
    noStackTrace(result.stderr);
  });

  test('a custom model with a bad URL points at its index', async () => {
    const project = tempProject();
    writeConfig(project, {
      models: { custom: [{ provider: 'ollama', id: 'x', api: 'openai-completions', base_url: 'localhost:11434' }] },
    });
    const result = await runCli(project, ['-p', 'hi']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('models.custom[0].base_url: expected an http(s) URL');
  });
});

describe.concurrent('base URLs with credentials', { timeout: 30_000 }, () => {
  test('the config refuses user:password@ in a provider or custom model URL, naming where and hiding them', async () => {
    const project = tempProject({}, { ANTHROPIC_API_KEY: 'k' });
    const path = writeConfig(project, {
      models: {
        providers: { anthropic: { base_url: 'https://alice:hunter2@proxy.example/v1' } },
        custom: [
          { provider: 'ollama', id: 'x', api: 'openai-completions', base_url: 'http://bob:swordfish@127.0.0.1:1/v1' },
        ],
      },
    });
    const result = await runCli(project, ['-p', 'hi']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`the config file ${path} has 2 errors:`);
    expect(result.stderr).toMatch(
      /models\.providers\.anthropic\.base_url: .*https:\/\/\*\*\*@proxy\.example\/v1 contains credentials/,
    );
    expect(result.stderr).toMatch(
      /models\.custom\[0\]\.base_url: .*http:\/\/\*\*\*@127\.0\.0\.1:1\/v1 contains credentials/,
    );
    for (const secret of ['alice', 'hunter2', 'bob', 'swordfish']) expect(result.stderr).not.toContain(secret);
    noStackTrace(result.stderr);
  });
});

describe.concurrent('config and precedence', { timeout: 30_000 }, () => {
  test('a config file that starts with a UTF-8 byte order mark is read', async () => {
    const session = mock.session({ turns: [textReply('read past the BOM')] });
    const project = tempProject({}, { ANTHROPIC_API_KEY: 'k' });
    const config = {
      default: { thinking: 'off' },
      models: { providers: { anthropic: { base_url: session.baseUrl } } },
    };
    writeConfig(project, `\uFEFF${JSON.stringify(config, null, 2)}\n`);
    const result = await runCli(project, ['-p', 'hi']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('read past the BOM\n');
    expect(body(session.requests[0]).thinking).toBeUndefined();
  });

  test('a custom local model from the config is the default and needs no key', async () => {
    const session = mock.session({ turns: [textReply('from the local model')] });
    const project = tempProject();
    writeConfig(project, {
      default: { provider: 'ollama', model: 'qwen3:8b', thinking: 'off' },
      models: {
        custom: [
          {
            provider: 'ollama',
            id: 'qwen3:8b',
            api: 'openai-completions',
            base_url: `${session.baseUrl}/v1`,
            context_window: 40960,
            max_tokens: 8192,
            compat: { max_tokens_field: 'max_tokens', thinking_format: 'none' },
          },
        ],
      },
    });
    const result = await runCli(project, ['-p', 'hi']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('from the local model\n');
    const request = session.requests[0];
    expect(request?.path).toBe('/v1/chat/completions');
    expect(request?.headers.authorization).toBeUndefined();
    expect(request?.body).toMatchObject({ model: 'qwen3:8b', stream: true });
  });

  test('flags beat the environment, which beats the config file', async () => {
    const session = mock.session({ turns: [textReply('a'), textReply('b'), textReply('c')] });
    const project = tempProject({}, { ANTHROPIC_API_KEY: 'env-key' });
    writeConfig(project, {
      default: { provider: 'anthropic', model: 'claude-haiku-4-5', thinking: 'medium' },
      models: { providers: { anthropic: { api_key: 'config-key', base_url: session.baseUrl } } },
    });
    const fromConfig = await runCli(project, ['-p', 'one']);
    expect(fromConfig.code).toBe(0);
    const fromEnv = await runCli(project, ['-p', 'two'], {
      env: { QCORE_MODEL: 'claude-opus-4-6', QCORE_THINKING: 'off' },
    });
    expect(fromEnv.code).toBe(0);
    const fromFlags = await runCli(project, ['--model', 'claude-sonnet-5', '--api-key', 'flag-key', '-p', 'three'], {
      env: { QCORE_MODEL: 'claude-opus-4-6' },
    });
    expect(fromFlags.code).toBe(0);
    const [one, two, three] = session.requests;
    expect([body(one).model, body(two).model, body(three).model]).toEqual([
      'claude-haiku-4-5',
      'claude-opus-4-6',
      'claude-sonnet-5',
    ]);
    // The environment's key beats the config's; the flag beats both.
    expect([one?.headers['x-api-key'], three?.headers['x-api-key']]).toEqual(['env-key', 'flag-key']);
    expect(body(one).thinking?.budget_tokens).toBe(8192);
    expect(body(two).thinking).toBeUndefined();
  });

  test('the config key is used when the environment has none', async () => {
    const session = mock.session({ turns: [textReply('ok')] });
    const project = tempProject();
    writeConfig(project, {
      models: { providers: { anthropic: { api_key: 'config-key', base_url: session.baseUrl } } },
    });
    const result = await runCli(project, ['-p', 'hi']);
    expect(result.code).toBe(0);
    expect(session.requests[0]?.headers['x-api-key']).toBe('config-key');
  });

  test('an unknown model is a usage error with a suggestion', async () => {
    const project = tempProject({}, { ANTHROPIC_API_KEY: 'k' });
    const result = await runCli(project, ['--model', 'claude-sonet-4-6', '--provider', 'anthropic', '-p', 'hi']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('unknown model "claude-sonet-4-6" for anthropic (did you mean claude-sonnet-4-6?)');
  });
});
