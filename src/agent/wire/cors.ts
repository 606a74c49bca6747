/**
 * CORS for browser clients of an agent endpoint. The allowed origins are
 * listed, never reflected blindly, since a page that can call the endpoint
 * spends its key.
 */

export interface CorsOptions {
  /** Origins allowed to call the endpoint from a browser, such as `https://app.example.com`; `*` for any. */
  origin: string | string[];
}

/** What `Access-Control-Allow-Origin` should say for this request, if anything. */
function allowedOrigin(cors: CorsOptions, request: Request): string | undefined {
  const origins = Array.isArray(cors.origin) ? cors.origin : [cors.origin];
  if (origins.includes('*')) return '*';
  const origin = request.headers.get('origin');
  return origin !== null && origins.includes(origin) ? origin : undefined;
}

/** Headers for an actual (non-preflight) response: empty when CORS is off or the origin is not allowed. */
export function corsHeaders(cors: CorsOptions | undefined, request: Request): Record<string, string> {
  if (!cors) return {};
  const origin = allowedOrigin(cors, request);
  if (!origin) return { vary: 'origin' };
  return origin === '*'
    ? { 'access-control-allow-origin': '*' }
    : { 'access-control-allow-origin': origin, vary: 'origin' };
}

/** Answers a preflight: 204 for an allowed origin, 403 otherwise. `methods` are the endpoint's own. */
export function preflightResponse(cors: CorsOptions, request: Request, methods = 'POST, OPTIONS'): Response {
  const origin = allowedOrigin(cors, request);
  if (!origin) return new Response(null, { status: 403, headers: { vary: 'origin' } });
  const headers: Record<string, string> = {
    ...corsHeaders(cors, request),
    vary: 'origin, access-control-request-headers',
    'access-control-allow-methods': methods,
    // `*` does not cover Authorization, so the asked-for headers are named back.
    'access-control-allow-headers':
      request.headers.get('access-control-request-headers') ?? 'authorization, content-type',
    'access-control-max-age': '86400',
  };
  return new Response(null, { status: 204, headers });
}
