/**
 * How the tests call the durable session routes of test/durable/worker.ts:
 * the request's init as a given user (the `x-user` header that Worker's
 * identity rule reads; none for no identity), with a JSON body if there is
 * one. Web standards only, no node:* imports: test/durable/session-client.ts
 * uses it inside workerd, test/node/durable-support.ts from Node (miniflare).
 */

/** `method` as `user`, with `body` sent as JSON and `headers` added last. */
export function asUser(
  user: string | undefined,
  method: string,
  body?: unknown,
  headers: Record<string, string> = {},
): { method: string; headers: Record<string, string>; body?: string } {
  return {
    method,
    headers: {
      ...(user ? { 'x-user': user } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...headers,
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  };
}
