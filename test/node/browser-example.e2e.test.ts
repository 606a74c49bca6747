/**
 * The browser example end to end: Vite serves examples/browser from this
 * repository's source, Debian's Chromium (never a downloaded one) drives it,
 * and the loopback mock server plays Anthropic. One conversation streams
 * text, writes a file through the write tool, and the file and the chat are
 * still there after a reload, read back from IndexedDB; a second chat then
 * joins it in the History list, from which the first opens again. Another
 * proves the model's
 * markdown is rendered and that nothing in it (scripts, event handlers,
 * javascript: links) runs.
 */
import { mkdir } from 'node:fs/promises';
import { createServer as createNetServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright';
import { createServer, type ViteDevServer } from 'vite';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type MockServer, startMockServer } from '../../testing/mock-server.js';
import { chromiumArgs, chromiumPath } from '../setup/chromium.js';

const exampleConfig = fileURLToPath(new URL('../../examples/browser/vite.config.ts', import.meta.url));
const artifacts = fileURLToPath(new URL('../../artifacts/', import.meta.url));

/** The same flags as the browser project in vitest.config.ts. */

const API_KEY = 'sk-ant-e2e-test-key-0123456789';
const NOTE = '# Hello\n\nWritten by the agent, kept in IndexedDB.\n';
const FIRST_TEXT = 'Sure, I will write a short hello note to notes/hello.md for you.';
const FINAL_TEXT = 'Done: notes/hello.md now says hello, and it will still be there after a reload.';
const FIRST_PROMPT = 'Please write a hello note to notes/hello.md';
const SECOND_PROMPT = 'And what is in README.md?';
const SECOND_TEXT = 'README.md introduces the sample project.';

/** Markdown a model (or a prompt injection) could write, with everything that must never run in the page. */
const HOSTILE_MARKDOWN = [
  '# Report',
  '',
  'Some **bold** text and `code`.',
  '',
  '- one',
  '- two',
  '',
  '| a | b |',
  '|---|---|',
  '| 1 | 2 |',
  '',
  "<script>window.__pwned = 'script'; alert('script')</script>",
  '',
  '<img src="/no-such-image.png" onerror="window.__pwned = \'onerror\'; alert(\'onerror\')">',
  '',
  '<iframe src="javascript:parent.__pwned=\'iframe\'"></iframe>',
  '',
  "[click me](javascript:window.__pwned='link')",
  '',
  '<a href="https://example.com/" onclick="window.__pwned = \'onclick\'">safe link</a>',
].join('\n');

let mock: MockServer;
let vite: ViteDevServer;
let browser: Browser;
let pageUrl: string;

/** A port nobody listens on right now, for Vite to take. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createNetServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

beforeAll(async () => {
  mock = await startMockServer({
    script: {
      turns: [
        {
          content: [
            { type: 'thinking', thinking: 'The user wants a note in notes/. I will write it with the write tool.' },
            { type: 'text', text: FIRST_TEXT },
            { type: 'toolCall', name: 'write', arguments: { path: 'notes/hello.md', content: NOTE } },
          ],
          stopReason: 'toolUse',
          usage: { input: 1200, output: 90 },
          deltaSize: 4,
        },
        {
          content: [{ type: 'text', text: FINAL_TEXT }],
          usage: { input: 1350, output: 30 },
          deltaSize: 4,
        },
      ],
    },
  });
  vite = await createServer({
    configFile: exampleConfig,
    logLevel: 'error',
    server: { host: '127.0.0.1', port: await freePort(), hmr: false, watch: null },
  });
  await vite.listen();
  const url = vite.resolvedUrls?.local[0];
  if (!url) throw new Error('Vite did not report a URL');
  pageUrl = url;
  browser = await chromium.launch({
    executablePath: chromiumPath,
    args: chromiumArgs,
    headless: true,
  });
}, 30_000);

afterAll(async () => {
  await browser?.close();
  await vite?.close();
  await mock?.close();
}, 15_000);

async function openPage(page: Page): Promise<void> {
  await page.goto(pageUrl);
  await page.locator('body[data-ready="true"]').waitFor();
}

/** The chat as drawn; the page's own whitespace around the welcome it replaced does not count. */
async function chatHtml(page: Page): Promise<string> {
  return (await page.innerHTML('#chat-log')).trim();
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

describe('browser example', () => {
  test('streams a reply, writes a file the tree shows, and keeps it and the chat across a reload; History opens an older chat', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    try {
      await openPage(page);
      // A first visit is seeded with the sample project, and has no chat to open yet.
      await page.locator('#file-tree li[data-path="README.md"]').waitFor();
      expect(await page.locator('#chat-log .welcome').isVisible()).toBe(true);

      const settings = page.locator('#settings-panel');
      expect(await settings.evaluate((node) => (node as HTMLDetailsElement).open)).toBe(true);
      await page.selectOption('#provider', 'anthropic');
      await page.fill('#model', 'claude-sonnet-4-6');
      await page.fill('#base-url', mock.url);
      await page.fill('#api-key', API_KEY);
      await expect.poll(() => page.textContent('#status')).toContain('key in memory');

      await countAssistantDeltas(page);
      await page.fill('#prompt', FIRST_PROMPT);
      await page.click('#send');

      await page.locator('.msg.user', { hasText: 'Please write a hello note' }).waitFor();
      await page.locator('.msg.assistant .text', { hasText: FIRST_TEXT }).waitFor();
      await page.locator('.msg.assistant .thinking', { hasText: 'with the write tool' }).waitFor();
      const deltas = Number(await page.getAttribute('body', 'data-deltas'));
      // Appended piece by piece as the deltas arrived, not set once at the end.
      expect(deltas).toBeGreaterThanOrEqual(FIRST_TEXT.length / 4 - 1);

      await page.locator('#file-tree li[data-path="notes/hello.md"]').waitFor();
      await page.locator('.tool.done', { hasText: 'notes/hello.md' }).waitFor();
      await page.locator('.msg.assistant .text', { hasText: FINAL_TEXT }).waitFor();
      await page.locator('.usage').waitFor();
      await expect.poll(() => page.isEnabled('#send')).toBe(true);

      await page.click('#file-tree li[data-path="notes/hello.md"] .entry');
      await expect.poll(() => page.textContent('#preview-body')).toBe(NOTE);

      // Settings done, as a user would: fold them away so the shot shows the files and the preview.
      await page.click('#settings-panel summary');
      await mkdir(artifacts, { recursive: true });
      await page.screenshot({ path: `${artifacts}browser-example.png` });

      // What went over the wire: the typed key, the browser header, and no bash tool.
      expect(mock.requests).toHaveLength(2);
      const first = mock.requests[0];
      expect(first?.headers['x-api-key']).toBe(API_KEY);
      expect(first?.headers['anthropic-dangerous-direct-browser-access']).toBe('true');
      const body = first?.body as { model: string; tools: { name: string }[] };
      expect(body.model).toBe('claude-sonnet-4-6');
      expect(body.tools.map((tool) => tool.name)).toEqual(['read', 'write', 'edit', 'ls', 'find', 'grep']);
      // Not ticked "Remember": the key is nowhere in storage.
      expect(await page.evaluate(() => JSON.stringify({ ...localStorage }))).not.toContain(API_KEY);

      const firstChat = await chatHtml(page);
      await page.reload();
      await page.locator('body[data-ready="true"]').waitFor();
      // The chat opened again, drawn from its session in IndexedDB exactly as it was drawn live.
      expect(await chatHtml(page)).toBe(firstChat);
      expect(await page.locator('#chat-log .msg.user').allTextContents()).toEqual([FIRST_PROMPT]);
      const texts = await page.locator('#chat-log .msg.assistant .text').allTextContents();
      expect(texts.map((text) => text.trim())).toEqual([FIRST_TEXT, FINAL_TEXT]);
      await page.locator('.tool.done', { hasText: 'notes/hello.md' }).waitFor();
      await page.locator('.usage').waitFor();
      await page.locator('#file-tree li[data-path="notes/hello.md"]').waitFor();
      await page.locator('#file-tree li[data-path="README.md"]').waitFor();
      await page.click('#file-tree li[data-path="notes/hello.md"] .entry');
      await expect.poll(() => page.textContent('#preview-body')).toBe(NOTE);
      // The key was in memory only, and the reload forgot it; the other settings stayed.
      expect(await page.inputValue('#api-key')).toBe('');
      expect(await page.inputValue('#base-url')).toBe(mock.url);

      // Consent stores the key; withdrawing it deletes it. With a base URL set, the panel starts closed.
      await page.click('#settings-panel summary');
      await page.fill('#api-key', API_KEY);
      await page.check('#remember-key');
      expect(await page.evaluate(() => JSON.stringify({ ...localStorage }))).toContain(API_KEY);
      await page.uncheck('#remember-key');
      expect(await page.evaluate(() => JSON.stringify({ ...localStorage }))).not.toContain(API_KEY);

      // New chat: an empty log, and a second conversation (on a mock session of its own).
      const second = mock.session({ turns: [{ content: [{ type: 'text', text: SECOND_TEXT }], deltaSize: 8 }] });
      await page.fill('#base-url', second.baseUrl);
      await page.click('#new-chat');
      expect(await page.locator('#chat-log > *').count()).toBe(0);
      await page.fill('#prompt', SECOND_PROMPT);
      await page.click('#send');
      await page.locator('.msg.assistant .text', { hasText: SECOND_TEXT }).waitFor();
      await expect.poll(() => page.isEnabled('#send')).toBe(true);
      expect(await page.locator('#chat-log .msg.user').allTextContents()).toEqual([SECOND_PROMPT]);
      // The new chat started from nothing: the model saw only its prompt.
      expect((second.requests[0]?.body as { messages?: unknown[] } | undefined)?.messages).toHaveLength(1);

      // History: both chats, the most recent first, with titles and times; the first chat opens again.
      await page.click('#history-panel summary');
      const items = page.locator('#history-list li');
      await expect.poll(() => items.count()).toBe(2);
      expect(await items.locator('.title').allTextContents()).toEqual([SECOND_PROMPT, FIRST_PROMPT]);
      expect(await items.nth(0).getAttribute('class')).toBe('current');
      for (const datetime of await items
        .locator('time')
        .evaluateAll((nodes) => nodes.map((node) => node.getAttribute('datetime')))) {
        expect(Date.parse(datetime ?? '')).not.toBeNaN();
      }
      await items.nth(1).locator('button').click();
      await expect.poll(() => chatHtml(page)).toBe(firstChat);
      await expect.poll(() => items.nth(1).getAttribute('class')).toBe('current');
      // And a reload now opens that one, the chat on screen, not the one written to last.
      await page.reload();
      await page.locator('body[data-ready="true"]').waitFor();
      expect(await chatHtml(page)).toBe(firstChat);

      expect(pageErrors).toEqual([]);
    } finally {
      await context.close();
    }
  }, 60_000);

  test("renders the model's markdown, and nothing in it runs: scripts, event handlers and javascript: links are removed", async () => {
    const session = mock.session({ turns: [{ content: [{ type: 'text', text: HOSTILE_MARKDOWN }], deltaSize: 7 }] });
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    const dialogs: string[] = [];
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    try {
      await openPage(page);
      await page.selectOption('#provider', 'anthropic');
      await page.fill('#model', 'claude-sonnet-4-6');
      await page.fill('#base-url', session.baseUrl);
      await page.fill('#api-key', API_KEY);
      await page.fill('#prompt', 'Report, please');
      await page.click('#send');

      const reply = page.locator('.msg.assistant .markdown');
      await reply.locator('a', { hasText: 'safe link' }).waitFor();
      await expect.poll(() => page.isEnabled('#send')).toBe(true);
      // Markdown rendered: a heading, emphasis, code, a list and a table.
      expect(await reply.locator('h1').textContent()).toBe('Report');
      expect(await reply.locator('strong').textContent()).toBe('bold');
      expect(await reply.locator('code').first().textContent()).toBe('code');
      expect(await reply.locator('li').allTextContents()).toEqual(['one', 'two']);
      expect(await reply.locator('td').allTextContents()).toEqual(['1', '2']);
      // Nothing that could run made it into the page.
      expect(
        await page.locator('#chat-log script, #chat-log iframe, #chat-log [onerror], #chat-log [onclick]').count(),
      ).toBe(0);
      expect(await reply.locator('a', { hasText: 'click me' }).getAttribute('href')).toBeNull();
      expect(await reply.locator('a', { hasText: 'safe link' }).getAttribute('rel')).toBe('noopener noreferrer');
      await reply.locator('a', { hasText: 'click me' }).click();
      // Time for a broken image's error event, had its handler survived.
      await page.waitForTimeout(300);
      expect(await page.evaluate(() => (window as { __pwned?: unknown }).__pwned)).toBeUndefined();
      expect(dialogs).toEqual([]);
      expect(pageErrors).toEqual([]);
    } finally {
      await context.close();
    }
  }, 60_000);
});
