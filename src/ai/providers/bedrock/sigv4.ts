/**
 * AWS Signature Version 4 for request headers, on Web Crypto alone, so it
 * runs unchanged in browsers, Workers and Node.
 *
 * The signature covers the method, the path, the query, the signed headers
 * and a SHA-256 of the body, under a key derived from the secret, the date,
 * the region and the service. Only the headers it returns need sending.
 */

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  /** Present for temporary credentials (STS, SSO, instance roles). */
  sessionToken?: string;
}

export interface AwsSignInput {
  method: string;
  url: string;
  /** Headers that will be sent; all are signed except the few a proxy or runtime may change. */
  headers: Record<string, string>;
  body: string | Uint8Array<ArrayBuffer>;
  credentials: AwsCredentials;
  region: string;
  service: string;
  /** Defaults to now. */
  date?: Date;
  /** Also send and sign `x-amz-content-sha256`. S3 requires it; other services accept it. */
  contentSha256?: boolean;
}

const ALGORITHM = 'AWS4-HMAC-SHA256';
/** Headers that intermediaries or the runtime may add or rewrite: signing them would break the signature. */
const UNSIGNED_HEADERS = new Set([
  'authorization',
  'connection',
  'content-length',
  'expect',
  'keep-alive',
  'transfer-encoding',
  'user-agent',
  'x-amzn-trace-id',
]);

const encoder = new TextEncoder();

/** Signs a request and returns the headers to add: `authorization`, `x-amz-date` and, as needed, the token and body hash. */
export async function signAwsRequest(input: AwsSignInput): Promise<Record<string, string>> {
  const amzDate = toAmzDate(input.date ?? new Date());
  const day = amzDate.slice(0, 8);
  const bodyBytes = typeof input.body === 'string' ? encoder.encode(input.body) : input.body;
  const payloadHash = toHex(await crypto.subtle.digest('SHA-256', bodyBytes));

  const added: Record<string, string> = { 'x-amz-date': amzDate };
  if (input.credentials.sessionToken) added['x-amz-security-token'] = input.credentials.sessionToken;
  if (input.contentSha256) added['x-amz-content-sha256'] = payloadHash;

  const { canonical, signedHeaders } = canonicalRequest(
    input.method,
    input.url,
    { ...input.headers, ...added },
    payloadHash,
  );
  const scope = `${day}/${input.region}/${input.service}/aws4_request`;
  const stringToSign = `${ALGORITHM}\n${amzDate}\n${scope}\n${toHex(await crypto.subtle.digest('SHA-256', encoder.encode(canonical)))}`;

  let key = await hmac(encoder.encode(`AWS4${input.credentials.secretAccessKey}`), day);
  key = await hmac(key, input.region);
  key = await hmac(key, input.service);
  key = await hmac(key, 'aws4_request');
  const signature = toHex(await hmac(key, stringToSign));

  added.authorization = `${ALGORITHM} Credential=${input.credentials.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
  return added;
}

/**
 * The canonical request of SigV4's first step, and its signed-header list.
 * `host` comes from the URL unless the headers name it. The path is encoded
 * once more on top of the URL's own encoding, as every service but S3 expects:
 * a model id's `%3A` is signed as `%253A`.
 */
export function canonicalRequest(
  method: string,
  url: string,
  headers: Record<string, string>,
  payloadHash: string,
): { canonical: string; signedHeaders: string } {
  const parsed = new URL(url);
  const values = new Map<string, string>();
  for (const [rawName, rawValue] of Object.entries(headers)) {
    const name = rawName.toLowerCase();
    if (UNSIGNED_HEADERS.has(name)) continue;
    const value = rawValue.trim().replace(/\s+/g, ' ');
    const previous = values.get(name);
    values.set(name, previous === undefined ? value : `${previous},${value}`);
  }
  if (!values.has('host')) values.set('host', parsed.host);
  const names = [...values.keys()].sort();
  let canonicalHeaders = '';
  for (const name of names) canonicalHeaders += `${name}:${values.get(name)}\n`;
  const signedHeaders = names.join(';');

  const path = parsed.pathname === '' ? '/' : parsed.pathname.split('/').map(uriEncode).join('/');
  const query = [...parsed.searchParams]
    .map(([name, value]) => [uriEncode(name), uriEncode(value)] as const)
    .sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`)
    .join('&');

  const canonical = `${method.toUpperCase()}\n${path}\n${query}\n${canonicalHeaders}\n${signedHeaders}\n${payloadHash}`;
  return { canonical, signedHeaders };
}

/** RFC 3986 encoding: everything but unreserved characters, which `encodeURIComponent` leaves five too many of. */
function uriEncode(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function toAmzDate(date: Date): string {
  // 2015-08-30T12:36:00.000Z → 20150830T123600Z
  return date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

async function hmac(key: Uint8Array<ArrayBuffer> | ArrayBuffer, data: string): Promise<ArrayBuffer> {
  const cryptoKey = await crypto.subtle.importKey('raw', key, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return crypto.subtle.sign('HMAC', cryptoKey, encoder.encode(data));
}

function toHex(buffer: ArrayBuffer): string {
  const bytes = new Uint8Array(buffer);
  let out = '';
  for (let i = 0; i < bytes.length; i++) out += (bytes[i] as number).toString(16).padStart(2, '0');
  return out;
}
