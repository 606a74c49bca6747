/**
 * Scripts a running mock server over HTTP, from any runtime: tests in
 * Chromium and workerd use this where Node tests may call the server directly.
 */
import type { MockRequest, MockResponder, MockScript, MockTurn } from './script.js';

export interface MockSession {
  readonly id: string;
  /** Point a model's `baseUrl` here (OpenAI-style servers add `/v1`). */
  readonly baseUrl: string;
  /** The requests this session has answered so far, in order. */
  requests(): Promise<MockRequest[]>;
  /** Appends turns to the script. */
  push(...turns: MockTurn[]): Promise<void>;
  /** Adds standing answers, after those the script already has (see `MockScript.responders`). */
  respond(...responders: MockResponder<MockTurn>[]): Promise<void>;
  /** Forgets the session on the server. */
  close(): Promise<void>;
}

/**
 * Opens an isolated session with its own script on the server at `serverUrl`: its turns, and
 * its `contextWindow`, `models` and `responders` (see `MockScript`), all plain data.
 */
export async function createMockSession(serverUrl: string, script: MockScript<MockTurn>): Promise<MockSession> {
  const origin = serverUrl.replace(/\/+$/, '');
  const created = await call<{ id: string; baseUrl: string }>(`${origin}/__mock/sessions`, 'POST', script);
  const control = `${origin}/__mock/sessions/${created.id}`;
  return {
    id: created.id,
    baseUrl: created.baseUrl,
    requests: () => call<MockRequest[]>(`${control}/requests`, 'GET'),
    push: async (...turns) => {
      await call(`${control}/turns`, 'POST', turns);
    },
    respond: async (...responders) => {
      await call(`${control}/responders`, 'POST', responders);
    },
    close: async () => {
      await call(control, 'DELETE');
    },
  };
}

async function call<T>(url: string, method: string, body?: unknown): Promise<T> {
  const init: RequestInit = { method };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers = { 'content-type': 'application/json' };
  }
  const response = await fetch(url, init);
  const text = await response.text();
  if (!response.ok) throw new Error(`mock server ${method} ${url}: HTTP ${response.status} ${text}`);
  return JSON.parse(text) as T;
}
