import { describe, expect, test } from 'vitest';
import { canonicalRequest, signAwsRequest } from '../../src/ai/providers/bedrock/sigv4.js';

/**
 * Vectors from AWS's Signature Version 4 test suite, as kept in
 * github.com/awslabs/aws-c-auth (tests/aws-signing-test-suite/v4; Apache
 * License 2.0): fixed credentials, date 2015-08-30T12:36:00Z, region
 * us-east-1, service "service".
 */
const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
const base = { credentials, region: 'us-east-1', service: 'service', date: new Date('2015-08-30T12:36:00Z') };
const scope = 'AKIDEXAMPLE/20150830/us-east-1/service/aws4_request';
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

describe('aws-sigv4: the published test suite', () => {
  test('get-vanilla', async () => {
    const headers = await signAwsRequest({
      ...base,
      method: 'GET',
      url: 'https://example.amazonaws.com/',
      headers: {},
      body: '',
    });
    expect(headers).toEqual({
      'x-amz-date': '20150830T123600Z',
      authorization: `AWS4-HMAC-SHA256 Credential=${scope}, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31`,
    });
  });

  test('post-vanilla', async () => {
    const headers = await signAwsRequest({
      ...base,
      method: 'POST',
      url: 'https://example.amazonaws.com/',
      headers: {},
      body: '',
    });
    expect(headers.authorization).toBe(
      `AWS4-HMAC-SHA256 Credential=${scope}, SignedHeaders=host;x-amz-date, Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b`,
    );
  });

  test('get-vanilla-query-order-key-case: query parameters are sorted', async () => {
    const headers = await signAwsRequest({
      ...base,
      method: 'GET',
      url: 'https://example.amazonaws.com/?Param2=value2&Param1=value1',
      headers: {},
      body: '',
    });
    expect(headers.authorization).toBe(
      `AWS4-HMAC-SHA256 Credential=${scope}, SignedHeaders=host;x-amz-date, Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500`,
    );
  });

  test('post-x-www-form-urlencoded: the body is hashed and content-type signed', async () => {
    const headers = await signAwsRequest({
      ...base,
      method: 'POST',
      url: 'https://example.amazonaws.com/',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'Param1=value1',
    });
    expect(headers.authorization).toBe(
      `AWS4-HMAC-SHA256 Credential=${scope}, SignedHeaders=content-type;host;x-amz-date, Signature=ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a`,
    );
  });

  test('get-vanilla-with-session-token: the token is sent and signed', async () => {
    const token = '6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267';
    const headers = await signAwsRequest({
      ...base,
      credentials: { ...credentials, sessionToken: token },
      method: 'GET',
      url: 'https://example.amazonaws.com/',
      headers: {},
      body: '',
    });
    expect(headers).toEqual({
      'x-amz-date': '20150830T123600Z',
      'x-amz-security-token': token,
      authorization: `AWS4-HMAC-SHA256 Credential=${scope}, SignedHeaders=host;x-amz-date;x-amz-security-token, Signature=07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8`,
    });
  });
});

describe('aws-sigv4: canonical request', () => {
  test('double-encodes a Bedrock model id in the path and signs the port with the host', () => {
    const url = `http://127.0.0.1:8080/s/s1/model/${encodeURIComponent('us.anthropic.claude-x-v1:0')}/converse-stream`;
    const { canonical, signedHeaders } = canonicalRequest(
      'post',
      url,
      { 'Content-Type': ' application/json ', 'X-Amz-Date': '20150830T123600Z', 'User-Agent': 'changes-in-transit' },
      EMPTY_SHA256,
    );
    expect(canonical).toBe(
      [
        'POST',
        '/s/s1/model/us.anthropic.claude-x-v1%253A0/converse-stream',
        '',
        'content-type:application/json',
        'host:127.0.0.1:8080',
        'x-amz-date:20150830T123600Z',
        '',
        'content-type;host;x-amz-date',
        EMPTY_SHA256,
      ].join('\n'),
    );
    expect(signedHeaders).toBe('content-type;host;x-amz-date');
  });

  test('trims and collapses header values, and joins repeated names', () => {
    const { canonical } = canonicalRequest(
      'GET',
      'https://example.amazonaws.com/',
      { 'My-Header1': '  a   b  c ', 'my-header1': 'd' },
      EMPTY_SHA256,
    );
    expect(canonical).toContain('my-header1:a b c,d\n');
  });

  test('encodes query names and values the RFC 3986 way, sorted', () => {
    const { canonical } = canonicalRequest(
      'GET',
      "https://example.amazonaws.com/?b=2&a=x y&a=(*)!'&~=-._",
      {},
      EMPTY_SHA256,
    );
    expect(canonical.split('\n')[2]).toBe('a=%28%2A%29%21%27&a=x%20y&b=2&~=-._');
  });
});

describe('aws-sigv4: options', () => {
  test('adds x-amz-content-sha256 on request and signs it', async () => {
    const headers = await signAwsRequest({
      ...base,
      method: 'POST',
      url: 'https://example.amazonaws.com/',
      headers: { 'content-type': 'application/json' },
      body: '',
      contentSha256: true,
    });
    expect(headers['x-amz-content-sha256']).toBe(EMPTY_SHA256);
    expect(headers.authorization).toMatch(/SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date, /);
  });

  test('the signature changes with the body, the region and the date', async () => {
    const sign = async (overrides: Partial<Parameters<typeof signAwsRequest>[0]>) =>
      (
        await signAwsRequest({
          ...base,
          method: 'POST',
          url: 'https://example.amazonaws.com/',
          headers: {},
          body: '{}',
          ...overrides,
        })
      ).authorization;
    const reference = await sign({});
    expect(await sign({})).toBe(reference);
    expect(await sign({ body: '{ }' })).not.toBe(reference);
    expect(await sign({ region: 'eu-west-1' })).toMatch(/Credential=AKIDEXAMPLE\/20150830\/eu-west-1\/service\//);
    expect(await sign({ date: new Date('2015-08-31T00:00:00Z') })).toMatch(/\/20150831\//);
  });
});
