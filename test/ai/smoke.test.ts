import { expect, test } from 'vitest';
import { mockSession } from '../support/mock.js';

test('the mock server answers from every runtime', async () => {
  const session = await mockSession({ turns: [{ type: 'http', status: 418, body: { error: { message: 'teapot' } } }] });
  const response = await fetch(`${session.baseUrl}/v1/chat/completions`, { method: 'POST', body: '{"model":"m"}' });
  expect(response.status).toBe(418);
  expect(await response.json()).toEqual({ error: { message: 'teapot' } });
  const requests = await session.requests();
  expect(requests).toHaveLength(1);
  expect(requests[0]?.body).toEqual({ model: 'm' });
});
