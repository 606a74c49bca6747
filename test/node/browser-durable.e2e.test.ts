/**
 * The browser example in Worker mode, end to end: the agent runs in
 * examples/worker (a Durable Object per chat) under `wrangler dev --local`,
 * set up as test/node/worker-example.test.ts sets it up (a copy outside the
 * repository with qcore built into its node_modules: support/example-worker.ts;
 * the model pointed at the loopback mock server, no network), and the page,
 * served by Vite from this repository's source and driven in Debian's
 * Chromium, follows its sessions with connectAgent.
 *
 * One conversation streams a reply, holds its write for approval (Approve in
 * the page), and ends; a reload draws the same chat from the Worker's resync;
 * New chat starts a second session; History lists both from the Worker's
 * GET /sessions and opens the first again. Another reloads in the middle of a
 * reply while the Worker is out of reach: the page shows that it reconnects,
 * then joins the run where it is; Stop aborts the Worker's run.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright';
import { createServer, type ViteDevServer } from 'vite';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { AgentSessionState } from '../../src/agent/session-protocol.js';
import { type MockServer, type MockSessionHandle, startMockServer } from '../../testing/mock-server.js';
import { chromiumArgs, chromiumPath } from '../setup/chromium.js';
import { ExampleWorker, freePort } from './support/example-worker.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const exampleConfig = join(ROOT, 'examples/browser/vite.config.ts');
const artifacts = join(ROOT, 'artifacts/');

const SECRET = 'durable-e2e-secret-0123456789';
const KEY = 'sk-ant-durable-e2e-worker-key';

const NOTE = '# Hello\n\nWritten by the agent in the Worker.\n';
const FIRST_PROMPT = 'Please write a hello note to notes/hello.md';
const FIRST_TEXT = 'Sure, I will write a short hello note to notes/hello.md for you.';
const FINAL_TEXT = 'Done: notes/hello.md now says hello, in the Worker’s workspace.';
const SECOND_PROMPT = 'And what is in README.md?';
const SECOND_TEXT = 'README.md says the scratch files last while the session stays in memory.';
const SLOW_PROMPT = 'Tell me a long story';
const SLOW_TEXT = `${'Once upon a time an agent lived in a Durable Object and kept every word it said. '.repeat(5)}The end.`;
const STOP_PROMPT = 'Tell me an endless story';
const STOP_TEXT = 'And then it went on, and on, and on. '.repeat(40);

let worker: ExampleWorker;
let mock: MockServer;
let model: MockSessionHandle;
let vite: ViteDevServer | undefined;
let browser: Browser | undefined;
let pageUrl = '';

/** The Worker's own answer about a session, read past the page. */
async function sessionState(id: string): Promise<AgentSessionState> {
  const response = await fetch(new URL(`/sessions/${id}`, worker.url), {
    headers: { authorization: `Bearer ${SECRET}` },
  });
  expect(response.status).toBe(200);
  return (await response.json()) as AgentSessionState;
}

beforeAll(async () => {
  // As worker-example.test.ts: a copy of the example with qcore built into its node_modules (building meanwhile).
  worker = ExampleWorker.copy('qcore-browser-durable-');

  mock = await startMockServer();
  // The Worker's model, for every session of it: the first test's turns in order, the second's by prompt.
  model = mock.session({
    turns: [
      // The first chat: a reply whose write waits for approval, then the answer after it.
      {
        content: [
          { type: 'thinking', thinking: 'The user wants a note in notes/. I will write it with the write tool.' },
          { type: 'text', text: FIRST_TEXT },
          { type: 'toolCall', id: 'toolu_note', name: 'write', arguments: { path: 'notes/hello.md', content: NOTE } },
        ],
        stopReason: 'toolUse',
        usage: { input: 1200, output: 90 },
        deltaSize: 4,
      },
      { content: [{ type: 'text', text: FINAL_TEXT }], usage: { input: 1350, output: 30 }, deltaSize: 4 },
      // The second chat.
      { content: [{ type: 'text', text: SECOND_TEXT }], usage: { input: 300, output: 20 }, deltaSize: 8 },
    ],
    // The first that a request's body includes answers it: the stop prompt's body holds the slow one's too.
    responders: [
      // A reply to stop, and one slow enough (about 4 s) to reload in the middle of.
      {
        whenBodyIncludes: STOP_PROMPT,
        reply: { content: [{ type: 'text', text: STOP_TEXT }], deltaSize: 8, paceMs: 80 },
      },
      {
        whenBodyIncludes: SLOW_PROMPT,
        reply: { content: [{ type: 'text', text: SLOW_TEXT }], deltaSize: 8, paceMs: 80 },
      },
    ],
  });

  vite = await createServer({
    configFile: exampleConfig,
    logLevel: 'error',
    server: { host: '127.0.0.1', port: await freePort(), hmr: false, watch: null },
  });
  await vite.listen();
  const local = vite.resolvedUrls?.local[0];
  if (!local) throw new Error('Vite did not report a URL');
  pageUrl = local;
  browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs, headless: true });

  await worker.start({
    MODEL_BASE_URL: model.baseUrl,
    ANTHROPIC_API_KEY: KEY,
    AGENT_SECRET: SECRET,
    APPROVE_TOOLS: 'write',
    // The page's origin, and only it, may call the Worker from a browser.
    CORS_ORIGIN: new URL(pageUrl).origin,
  });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await vite?.close();
  await worker?.stop();
  await mock?.close();
}, 30_000);

async function openPage(page: Page): Promise<void> {
  await page.goto(pageUrl);
  await page.locator('body[data-ready="true"]').waitFor();
}

/** Worker mode, with the Worker's URL and its secret, remembered so that a reload can follow the chat again. */
async function useWorker(page: Page): Promise<void> {
  const settings = page.locator('#settings-panel');
  if (!(await settings.evaluate((node) => (node as HTMLDetailsElement).open)))
    await page.click('#settings-panel summary');
  await page.selectOption('#agent-mode', 'worker');
  await page.locator('#worker-settings').waitFor();
  expect(await page.isVisible('#page-settings')).toBe(false);
  expect(await page.textContent('#origin-note')).toContain(new URL(pageUrl).origin);
  await page.fill('#worker-url', worker.url);
  await page.fill('#worker-secret', SECRET);
  await expect.poll(() => page.textContent('#secret-note')).toContain('memory only');
  await page.check('#remember-secret');
  await expect.poll(() => page.textContent('#secret-note')).toContain('Stored in this browser’s localStorage');
  await expect.poll(() => page.textContent('#status')).toContain(`Worker 127.0.0.1:${new URL(worker.url).port}`);
  await expect.poll(() => page.textContent('#status')).toContain('secret remembered');
}

async function chatHtml(page: Page): Promise<string> {
  return (await page.innerHTML('#chat-log')).trim();
}

/** The session on screen, as the page remembers it for a reload. */
async function sessionOnScreen(page: Page): Promise<string> {
  const id = await page.evaluate(() => localStorage.getItem('qcore-example:worker-session'));
  expect(id).toMatch(/^[A-Za-z0-9_-]{1,128}$/);
  return id as string;
}

async function countAssistantDeltas(page: Page): Promise<void> {
  await page.evaluate(() => {
    const log = document.querySelector('#chat-log');
    if (!log) throw new Error('no chat log');
    let count = 0;
    new MutationObserver((records) => {
      for (const record of records) {
        if (record.target instanceof Element && record.target.matches('.msg.assistant .text')) {
          count += record.addedNodes.length;
        }
      }
      document.body.dataset.deltas = String(count);
    }).observe(log, { subtree: true, childList: true });
  });
}

/**
 * A new browser context whose page is open in Worker mode; `run` drives it,
 * then the page must have thrown no error. The context is closed either way.
 */
async function inWorkerPage(run: (page: Page) => Promise<void>): Promise<void> {
  const context = await (browser as Browser).newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  try {
    await openPage(page);
    await useWorker(page);
    await run(page);
    expect(pageErrors).toEqual([]);
  } finally {
    await context.close();
  }
}

describe('browser example, agent in the durable Worker', () => {
  test('a chat runs in the Worker: streamed, its write approved in the page; a reload draws it again; New chat; History from the Worker opens the first', async () => {
    await inWorkerPage(async (page) => {
      // The Worker's files are not this browser's: the page's file tree is put away.
      expect(await page.isVisible('#worker-note')).toBe(true);
      expect(await page.isVisible('#file-tree')).toBe(false);

      await countAssistantDeltas(page);
      await page.fill('#prompt', FIRST_PROMPT);
      await page.click('#send');
      await page.locator('.msg.user', { hasText: FIRST_PROMPT }).waitFor();
      await page.locator('.msg.assistant .text', { hasText: FIRST_TEXT }).waitFor();
      await page.locator('.msg.assistant .thinking', { hasText: 'with the write tool' }).waitFor();
      // Appended piece by piece as the Worker's deltas arrived, not set once at the end.
      expect(Number(await page.getAttribute('body', 'data-deltas'))).toBeGreaterThanOrEqual(FIRST_TEXT.length / 4 - 1);

      // The Worker holds the write (APPROVE_TOOLS=write): the page asks, and cannot send meanwhile.
      const approval = page.locator('#approvals .approval[data-tool-call-id="toolu_note"]');
      await approval.waitFor();
      expect(await approval.textContent()).toContain('write notes/hello.md');
      expect(await approval.textContent()).toContain('write is in APPROVE_TOOLS');
      await page.locator('.tool.held', { hasText: 'notes/hello.md' }).waitFor();
      await expect.poll(() => page.textContent('#status')).toContain('Waiting for approval');
      expect(await page.isDisabled('#send')).toBe(true);
      const id = await sessionOnScreen(page);
      expect(await sessionState(id)).toMatchObject({ status: 'awaiting_approval' });
      await mkdir(artifacts, { recursive: true });
      await page.screenshot({ path: `${artifacts}browser-durable.png` });

      await approval.locator('button', { hasText: 'Approve' }).click();
      await page.locator('.tool.done', { hasText: 'notes/hello.md' }).waitFor();
      await page.locator('.msg.assistant .text', { hasText: FINAL_TEXT }).waitFor();
      await page.locator('.usage').waitFor();
      await expect.poll(() => page.isEnabled('#send')).toBe(true);
      expect(await page.isVisible('#approvals')).toBe(false);
      // One usage line for the run, its part before the approval included.
      expect(await page.locator('.usage').allTextContents()).toEqual([expect.stringMatching(/^↑2\.5k ↓120 · \$/)]);

      // The model was called by the Worker, with the Worker's key; the page sent none.
      expect(model.requests).toHaveLength(2);
      expect(model.requests.every((request) => request.headers['x-api-key'] === KEY)).toBe(true);
      const stored = await sessionState(id);
      expect(stored).toMatchObject({ id, title: FIRST_PROMPT, status: 'idle', pendingApprovals: [] });
      expect(stored.messages.map((message) => message.role)).toEqual(['user', 'assistant', 'toolResult', 'assistant']);
      // Remembered, with consent: the secret is in this browser's storage, the API key field never used.
      expect(await page.evaluate(() => JSON.stringify({ ...localStorage }))).toContain(SECRET);

      const firstChat = await chatHtml(page);
      await page.reload();
      await page.locator('body[data-ready="true"]').waitFor();
      // The same chat, drawn from the Worker's resync exactly as it was drawn live.
      await expect.poll(() => chatHtml(page)).toBe(firstChat);
      expect(await page.locator('#chat-log .msg.user').allTextContents()).toEqual([FIRST_PROMPT]);
      const texts = await page.locator('#chat-log .msg.assistant .text').allTextContents();
      expect(texts.map((text) => text.trim())).toEqual([FIRST_TEXT, FINAL_TEXT]);
      expect(await page.inputValue('#worker-secret')).toBe(SECRET);
      await expect.poll(() => page.textContent('#status')).toMatch(/^Ready · Worker /);
      expect(await sessionOnScreen(page)).toBe(id);

      // New chat: an empty log, and a second session that starts from nothing.
      await page.click('#new-chat');
      expect(await page.locator('#chat-log > *').count()).toBe(0);
      await page.fill('#prompt', SECOND_PROMPT);
      await page.click('#send');
      await page.locator('.msg.assistant .text', { hasText: SECOND_TEXT }).waitFor();
      await expect.poll(() => page.isEnabled('#send')).toBe(true);
      expect(await page.locator('#chat-log .msg.user').allTextContents()).toEqual([SECOND_PROMPT]);
      expect((model.requests[2]?.body as { messages?: unknown[] } | undefined)?.messages).toHaveLength(1);
      const second = await sessionOnScreen(page);
      expect(second).not.toBe(id);

      // History: both sessions, from the Worker's GET /sessions, the most recent first; the first opens again.
      await page.click('#history-panel summary');
      const items = page.locator('#history-list li');
      await expect.poll(() => items.locator('.title').allTextContents()).toEqual([SECOND_PROMPT, FIRST_PROMPT]);
      expect(await items.evaluateAll((nodes) => nodes.map((node) => (node as HTMLElement).dataset.sessionId))).toEqual([
        second,
        id,
      ]);
      await expect.poll(() => items.nth(1).locator('time').textContent()).toContain('4 messages');
      expect(await items.nth(0).getAttribute('class')).toBe('current');
      await items.nth(1).locator('button').click();
      await expect.poll(() => chatHtml(page)).toBe(firstChat);
      await expect.poll(() => items.nth(1).getAttribute('class')).toBe('current');
      // And a reload now follows that one, the chat on screen.
      await page.reload();
      await page.locator('body[data-ready="true"]').waitFor();
      await expect.poll(() => chatHtml(page)).toBe(firstChat);
      expect(await sessionOnScreen(page)).toBe(id);

      // Back to the page's own agent: its settings, its files, its (empty) history; then the Worker's chat again.
      await page.click('#settings-panel summary');
      await page.selectOption('#agent-mode', 'page');
      await page.locator('#page-settings').waitFor();
      await page.locator('#file-tree li[data-path="README.md"]').waitFor();
      expect(await page.locator('#chat-log .msg').count()).toBe(0);
      await expect.poll(() => page.textContent('#history-list')).toBe('No saved chats yet.');
      await expect.poll(() => page.textContent('#status')).toContain('no key');
      await page.selectOption('#agent-mode', 'worker');
      await expect.poll(() => chatHtml(page)).toBe(firstChat);
      await expect.poll(() => items.locator('.title').allTextContents()).toEqual([SECOND_PROMPT, FIRST_PROMPT]);
    });
  }, 90_000);

  test('a reload in the middle of a reply, with the Worker out of reach for a while: the page says it reconnects, then joins the run where it is; Stop aborts the run in the Worker', async () => {
    await inWorkerPage(async (page) => {
      await page.fill('#prompt', SLOW_PROMPT);
      await page.click('#send');
      const reply = page.locator('.msg.assistant .text');
      await expect.poll(async () => ((await reply.textContent()) ?? '').length).toBeGreaterThan(40);
      const id = await sessionOnScreen(page);

      // The event stream refused while the page reloads: it tries again, and says so.
      let blocked = true;
      await page.route('**/sessions/*/events', (route) => (blocked ? route.abort() : route.continue()));
      await page.reload();
      await page.locator('body[data-ready="true"]').waitFor();
      await page.locator('body[data-connection="reconnecting"]').waitFor();
      await expect.poll(() => page.textContent('#status')).toContain('Reconnecting…');
      blocked = false;
      await page.unroute('**/sessions/*/events');
      // Back: the resync draws the stored prompt, and the reply still running streams from its start.
      await page.locator('body[data-connection="open"]').waitFor();
      await page.locator('body.running').waitFor();
      expect(await page.isEnabled('#stop')).toBe(true);
      await expect
        .poll(async () => (await reply.allTextContents()).map((text) => text.trim()), { timeout: 20_000 })
        .toEqual([SLOW_TEXT]);
      await expect.poll(() => page.isEnabled('#send')).toBe(true);
      expect(await page.locator('#chat-log .msg.user').allTextContents()).toEqual([SLOW_PROMPT]);
      expect(await page.locator('#chat-log .msg.assistant').count()).toBe(1);
      expect((await sessionState(id)).messages.map((message) => message.role)).toEqual(['user', 'assistant']);

      // Stop: the Worker's run is aborted, not just left.
      await page.fill('#prompt', STOP_PROMPT);
      await page.click('#send');
      await expect.poll(async () => ((await reply.nth(1).textContent()) ?? '').length).toBeGreaterThan(20);
      await page.click('#stop');
      await page.locator('.notice.info', { hasText: 'Stopped.' }).waitFor();
      await expect.poll(() => page.isEnabled('#send')).toBe(true);
      const state = await sessionState(id);
      expect(state.status).toBe('idle');
      const last = state.messages.at(-1);
      expect(last?.role === 'assistant' && last.stopReason).toBe('aborted');
    });
  }, 90_000);
});
