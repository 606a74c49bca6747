/**
 * HTTP requests that fetch cannot make: with a `Host` header of our choosing
 * (as a DNS-rebinding page would send), or with headers and no body.
 */
import { request } from 'node:http';
import { connect } from 'node:net';

export interface RawResponse {
  status: number;
  body: string;
}

/** GET `path` from the server at `url`, saying `host` in the Host header. */
export function getWithHost(url: string, path: string, host: string, token?: string): Promise<RawResponse> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { host };
    if (token !== undefined) headers.authorization = `Bearer ${token}`;
    const req = request({ hostname: hostname.replace(/^\[|\]$/g, ''), port, path, headers }, (response) => {
      let body = '';
      response.setEncoding('utf8').on('data', (chunk: string) => {
        body += chunk;
      });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * Sends a request's headers, promising a body that never comes, and resolves
 * with what the server said and how long it took to hang up; `giveUpMs`
 * later it gives up itself and resolves with `closedAfterMs: undefined`.
 */
export function headersWithoutBody(
  url: string,
  headers: Record<string, string>,
  giveUpMs: number,
): Promise<{ closedAfterMs: number | undefined; answer: string }> {
  const { hostname, port } = new URL(url);
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let answer = '';
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ closedAfterMs: undefined, answer });
    }, giveUpMs);
    socket.setEncoding('utf8').on('data', (chunk: string) => {
      answer += chunk;
    });
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ closedAfterMs: Date.now() - started, answer });
    });
    const lines = Object.entries({ host: `${hostname}:${port}`, 'content-length': '100', ...headers }).map(
      ([name, value]) => `${name}: ${value}`,
    );
    socket.write(`POST /v1/exec HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n`);
  });
}
