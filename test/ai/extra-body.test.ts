import { describe, expect, test } from 'vitest';
import { RESERVED_BODY_KEYS } from '../../src/ai/extra-body.js';
import type { Context } from '../../src/ai/types.js';
import { mockSession } from '../support/mock.js';
import { protocols } from '../support/protocols.js';

/**
 * `Model.extraBody` on the wire, for each of the five protocols: merged into
 * the top level of every request body, under `StreamOptions.extraBody`, and
 * never allowed to replace what qcore builds from the context.
 */

const hello: Context = { messages: [{ role: 'user', content: 'Hello', timestamp: 1 }] };

describe.each(protocols)('$name: model.extraBody', (p) => {
  test('its fields reach the top level of the request body; options.extraBody wins over them', async () => {
    const session = await mockSession({ turns: [{ content: [{ type: 'text', text: 'ok' }] }] });
    const model = {
      ...p.model(session.baseUrl),
      extraBody: { top_k: 20, gateway: { route: 'eu' }, sampler: 'model' },
    };
    const message = await p.fn(model, hello, { ...p.auth, extraBody: { sampler: 'call' } }).result();
    expect(message.stopReason).toBe('stop');
    const [request] = await session.requests();
    const body = request?.body as Record<string, unknown>;
    expect(body.top_k).toBe(20);
    expect(body.gateway).toEqual({ route: 'eu' });
    expect(body.sampler).toBe('call');
    // What qcore built is still there.
    expect(JSON.stringify(body)).toContain('Hello');
  });

  test.each(RESERVED_BODY_KEYS)('setting "%s" fails before any request, naming the field', async (key) => {
    const session = await mockSession({ turns: [{ content: [{ type: 'text', text: 'never' }] }] });
    const model = { ...p.model(session.baseUrl), extraBody: { [key]: 'x', top_k: 1 } };
    const message = await p.fn(model, hello, p.auth).result();
    expect(message.stopReason).toBe('error');
    expect(message.errorMessage).toBe(`Could not build the request: model.extraBody may not set ${key}`);
    expect(message.errorKind).toBe('invalid_request');
    expect(await session.requests()).toHaveLength(0);
  });
});
