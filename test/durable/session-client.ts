/**
 * A small raw client of the durable session routes for the tests: requests
 * as a given user, and an event-stream reader that keeps ids, so tests can
 * check what was sent, in which order, and resume from any point. Both
 * come from test/support (session-request.ts, sse-frames.ts), shared with
 * test/node/durable-support.ts, which drives the same routes from Node.
 */
import { exports } from 'cloudflare:workers';
import { asUser } from '../support/session-request.js';
import { SseFrameReader } from '../support/sse-frames.js';

export const BASE = 'https://agents.test';

export function call(
  user: string | undefined,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  return exports.default.fetch(new Request(`${BASE}${path}`, asUser(user, method, body, headers)));
}

/** `GET /sessions/:id/events` as `user`, read in the background into `frames` (test/support/sse-frames.ts). */
export class EventReader extends SseFrameReader {
  static async open(user: string, sessionId: string, lastEventId?: string): Promise<EventReader> {
    const response = await call(
      user,
      'GET',
      `/sessions/${sessionId}/events`,
      undefined,
      lastEventId ? { 'last-event-id': lastEventId } : {},
    );
    if (response.status !== 200 || !response.body)
      throw new Error(`events answered ${response.status}: ${await response.text()}`);
    return new EventReader(response.body);
  }
}

/** The mock session's id: the durable session is named after it, so the object's setup finds its script. */
export function mockId(baseUrl: string): string {
  return baseUrl.slice(baseUrl.lastIndexOf('/') + 1);
}
