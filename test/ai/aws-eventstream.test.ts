import { describe, expect, test } from 'vitest';
import {
  crc32,
  EventStreamDecoder,
  EventStreamError,
  type EventStreamHeaderValue,
  type EventStreamMessage,
} from '../../src/ai/providers/bedrock/eventstream.js';
import { bedrockEvent, bedrockException, eventStreamMessage } from '../../testing/wire/bedrock-converse-stream.js';
import { bedrockModelStreamErrorFrame } from '../fixtures/bedrock-recorded.js';

interface Decoded {
  headers: Record<string, EventStreamHeaderValue>;
  payload: string;
}

const utf8 = new TextDecoder();

/** Collects messages, copying each payload: the decoder's views are valid only during the callback. */
function collector(): { decoder: EventStreamDecoder; messages: Decoded[] } {
  const messages: Decoded[] = [];
  const decoder = new EventStreamDecoder((message: EventStreamMessage) => {
    messages.push({ headers: message.headers, payload: utf8.decode(message.payload) });
  });
  return { decoder, messages };
}

function decodeAll(chunks: Uint8Array[]): Decoded[] {
  const { decoder, messages } = collector();
  for (const chunk of chunks) decoder.push(chunk);
  decoder.end();
  return messages;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

function fromBase64(text: string): Uint8Array {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

/**
 * Vectors from the AWS SDK for JavaScript v3 (github.com/aws/aws-sdk-js-v3,
 * packages/eventstream-marshaller/src/TestVectors.fixture.ts at commit
 * 238be60b55). Copyright Amazon.com, Inc. or its affiliates. Licensed under
 * the Apache License 2.0.
 */
const FOO_BAR = [123, 39, 102, 111, 111, 39, 58, 39, 98, 97, 114, 39, 125]; // {'foo':'bar'}
const vectors = {
  empty_message: [0, 0, 0, 16, 0, 0, 0, 0, 5, 194, 72, 235, 125, 152, 200, 255],
  int32_header: [
    0, 0, 0, 43, 0, 0, 0, 14, 52, 139, 236, 123, 8, 101, 118, 101, 110, 116, 45, 105, 100, 4, 0, 0, 160, 12, 123, 39,
    102, 111, 111, 39, 58, 39, 98, 97, 114, 39, 125, 211, 137, 2, 133,
  ],
  payload_no_headers: [
    0, 0, 0, 29, 0, 0, 0, 0, 253, 82, 140, 90, 123, 39, 102, 111, 111, 39, 58, 39, 98, 97, 114, 39, 125, 195, 101, 57,
    54,
  ],
  payload_one_str_header: [
    0, 0, 0, 61, 0, 0, 0, 32, 7, 253, 131, 150, 12, 99, 111, 110, 116, 101, 110, 116, 45, 116, 121, 112, 101, 7, 0, 16,
    97, 112, 112, 108, 105, 99, 97, 116, 105, 111, 110, 47, 106, 115, 111, 110, 123, 39, 102, 111, 111, 39, 58, 39, 98,
    97, 114, 39, 125, 141, 156, 8, 177,
  ],
  corrupted_headers: [
    0, 0, 0, 61, 0, 0, 0, 32, 7, 253, 131, 150, 12, 99, 111, 110, 116, 101, 110, 116, 43, 116, 121, 112, 101, 7, 0, 16,
    97, 112, 112, 108, 105, 99, 97, 116, 105, 111, 110, 47, 106, 115, 111, 110, 123, 39, 102, 111, 111, 39, 58, 39, 98,
    97, 114, 39, 125, 141, 156, 8, 177,
  ],
  corrupted_header_len: [
    0, 0, 0, 61, 0, 0, 1, 32, 7, 253, 131, 150, 12, 99, 111, 110, 116, 101, 110, 116, 45, 116, 121, 112, 101, 7, 0, 16,
    97, 112, 112, 108, 105, 99, 97, 116, 105, 111, 110, 47, 106, 115, 111, 110, 123, 39, 102, 111, 111, 39, 58, 39, 98,
    97, 114, 39, 125, 141, 156, 8, 177,
  ],
  corrupted_length: [
    1, 0, 0, 29, 0, 0, 0, 0, 253, 82, 140, 90, 123, 39, 102, 111, 111, 39, 58, 39, 98, 97, 114, 39, 125, 195, 101, 57,
    54,
  ],
  corrupted_payload: [
    0, 0, 0, 29, 0, 0, 0, 0, 253, 82, 140, 90, 123, 39, 102, 111, 111, 39, 58, 39, 98, 97, 114, 39, 141, 195, 101, 57,
    54,
  ],
};

function vector(name: keyof typeof vectors): Uint8Array {
  return Uint8Array.from(vectors[name]);
}

function decodeError(chunks: Uint8Array[]): string {
  try {
    decodeAll(chunks);
  } catch (error) {
    expect(error).toBeInstanceOf(EventStreamError);
    return (error as Error).message;
  }
  throw new Error('expected the decoder to fail');
}

describe('aws-eventstream: CRC-32', () => {
  test('matches the standard check value and continues across pieces', () => {
    const bytes = new TextEncoder().encode('123456789');
    expect(crc32(bytes)).toBe(0xcbf43926);
    expect(crc32(bytes, 4, 9, crc32(bytes, 0, 4))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
  });
});

describe('aws-eventstream: published vectors', () => {
  test('decodes the AWS SDK success vectors', () => {
    expect(decodeAll([vector('empty_message')])).toEqual([{ headers: {}, payload: '' }]);
    expect(decodeAll([vector('int32_header')])).toEqual([
      { headers: { 'event-id': 0x0000a00c }, payload: utf8.decode(Uint8Array.from(FOO_BAR)) },
    ]);
    expect(decodeAll([vector('payload_no_headers')])).toEqual([{ headers: {}, payload: "{'foo':'bar'}" }]);
    expect(decodeAll([vector('payload_one_str_header')])).toEqual([
      { headers: { 'content-type': 'application/json' }, payload: "{'foo':'bar'}" },
    ]);
  });

  test('rejects the AWS SDK failure vectors with a clear reason', () => {
    expect(decodeError([vector('corrupted_headers')])).toMatch(/message checksum mismatch \(expected 0x8d9c08b1/);
    expect(decodeError([vector('corrupted_header_len')])).toMatch(/prelude checksum mismatch/);
    expect(decodeError([vector('corrupted_length')])).toMatch(/prelude checksum mismatch/);
    expect(decodeError([vector('corrupted_payload')])).toMatch(/message checksum mismatch/);
  });

  test('decodes a real Bedrock exception message', () => {
    expect(decodeAll([fromBase64(bedrockModelStreamErrorFrame)])).toEqual([
      {
        headers: {
          ':message-type': 'exception',
          ':exception-type': 'modelStreamErrorException',
          ':content-type': 'application/json',
        },
        payload:
          '{"message":"Model Stream Error","originalStatusCode":500,"originalMessage":"The model stream failed."}',
      },
    ]);
  });

  test('the mock encoder agrees with the vectors byte for byte', () => {
    const encoded = eventStreamMessage({ 'content-type': 'application/json' }, Uint8Array.from(FOO_BAR));
    expect([...encoded]).toEqual(vectors.payload_one_str_header);
  });
});

describe('aws-eventstream: chunk boundaries', () => {
  const stream = concat([
    bedrockEvent('messageStart', { role: 'assistant' }),
    bedrockEvent('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'héllo 😀 "quoted" \\ \n' } }),
    eventStreamMessage({ ':event-type': 'ünïcode-hëader', x: '日本' }, new Uint8Array(0)),
    bedrockException('throttlingException', 'Too many requests'),
    bedrockEvent('metadata', { usage: { inputTokens: 3, outputTokens: 4 } }, false),
  ]);
  const expected = decodeAll([stream]);

  test('the whole stream in one chunk gives every message', () => {
    expect(expected.map((m) => m.headers[':event-type'] ?? m.headers[':exception-type'])).toEqual([
      'messageStart',
      'contentBlockDelta',
      'ünïcode-hëader',
      'throttlingException',
      'metadata',
    ]);
    expect(JSON.parse(expected[1]?.payload ?? '')).toMatchObject({ delta: { text: 'héllo 😀 "quoted" \\ \n' } });
    expect(expected[2]?.headers.x).toBe('日本');
    expect(expected[4]?.payload).toBe('{"usage":{"inputTokens":3,"outputTokens":4}}');
  });

  test('a split at every byte offset gives the same messages', () => {
    for (let at = 0; at <= stream.length; at++) {
      expect(decodeAll([stream.subarray(0, at), stream.subarray(at)])).toEqual(expected);
    }
  });

  test('two splits at every pair of offsets in the first messages give the same messages', () => {
    const limit = 120;
    for (let a = 1; a < limit; a++) {
      for (let b = a; b < limit; b += 7) {
        expect(decodeAll([stream.subarray(0, a), stream.subarray(a, b), stream.subarray(b)])).toEqual(expected);
      }
    }
  });

  test('one byte at a time, and empty chunks, give the same messages', () => {
    const chunks: Uint8Array[] = [];
    for (let i = 0; i < stream.length; i++) chunks.push(stream.subarray(i, i + 1), new Uint8Array(0));
    expect(decodeAll(chunks)).toEqual(expected);
  });

  test('a large payload arriving in small chunks is buffered once and released', () => {
    const big = 'x'.repeat(300_000);
    const frame = bedrockEvent('contentBlockDelta', { contentBlockIndex: 0, delta: { text: big } }, false);
    const { decoder, messages } = collector();
    for (let i = 0; i < frame.length; i += 1000) decoder.push(frame.subarray(i, i + 1000));
    expect(decoder.buffered).toBe(0);
    decoder.end();
    expect(messages).toHaveLength(1);
    expect((JSON.parse(messages[0]?.payload ?? '') as { delta: { text: string } }).delta.text).toBe(big);
  });
});

describe('aws-eventstream: failures', () => {
  const frame = bedrockEvent('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'Hello' } }, false);

  test('a flipped payload byte fails the message checksum, however the bytes arrive', () => {
    const bad = frame.slice();
    bad[20] = (bad[20] as number) ^ 0x01;
    expect(decodeError([bad])).toMatch(/^Corrupt event stream: message checksum mismatch \(expected 0x[0-9a-f]{8}/);
    expect(decodeError([bad.subarray(0, 30), bad.subarray(30)])).toMatch(/message checksum mismatch/);
  });

  test('a corrupt prelude fails as soon as the prelude is complete', () => {
    const bad = frame.slice();
    bad[2] = (bad[2] as number) ^ 0x40;
    const { decoder } = collector();
    expect(() => decoder.push(bad.subarray(0, 11))).not.toThrow();
    expect(() => decoder.push(bad.subarray(11, 12))).toThrow(/prelude checksum mismatch/);
  });

  test('a stream that stops inside a message fails at the end', () => {
    const { decoder, messages } = collector();
    decoder.push(frame.subarray(0, frame.length - 5));
    expect(messages).toHaveLength(0);
    expect(decoder.buffered).toBe(frame.length - 5);
    expect(() => decoder.end()).toThrow(
      `The event stream ended inside a message (${frame.length - 5} of ${frame.length} bytes received)`,
    );
  });

  test('a header running past the headers section fails', () => {
    // One string header whose declared value length overruns the 5-byte headers section.
    const headers = [1, 0x61, 7, 0, 9];
    const total = 12 + headers.length + 4;
    const bytes = new Uint8Array(total);
    const view = new DataView(bytes.buffer);
    view.setUint32(0, total);
    view.setUint32(4, headers.length);
    view.setUint32(8, crc32(bytes, 0, 8));
    bytes.set(headers, 12);
    view.setUint32(total - 4, crc32(bytes, 0, total - 4));
    expect(decodeError([bytes])).toMatch(/a header runs past the end of the headers/);
  });
});

describe('aws-eventstream: header types', () => {
  test('decodes every header type', () => {
    const parts: number[] = [];
    const name = (text: string) => parts.push(text.length, ...new TextEncoder().encode(text));
    name('t');
    parts.push(0);
    name('f');
    parts.push(1);
    name('byte');
    parts.push(2, 0xfe);
    name('short');
    parts.push(3, 0xff, 0x38);
    name('int');
    parts.push(4, 0xff, 0xff, 0xff, 0xfe);
    name('long');
    parts.push(5, 0, 0, 0, 1, 0, 0, 0, 0);
    name('bytes');
    parts.push(6, 0, 3, 1, 2, 3);
    name('str');
    parts.push(7, 0, 2, 0x68, 0x69);
    name('time');
    parts.push(8, 0, 0, 0x01, 0x8b, 0xcf, 0xe5, 0x68, 0x00);
    name('id');
    parts.push(9, ...Array.from({ length: 16 }, (_, i) => i));
    const headers = Uint8Array.from(parts);
    const total = 12 + headers.length + 4;
    const bytes = new Uint8Array(total);
    const view = new DataView(bytes.buffer);
    view.setUint32(0, total);
    view.setUint32(4, headers.length);
    view.setUint32(8, crc32(bytes, 0, 8));
    bytes.set(headers, 12);
    view.setUint32(total - 4, crc32(bytes, 0, total - 4));

    const [message] = decodeAll([bytes]);
    expect(message?.headers).toEqual({
      t: true,
      f: false,
      byte: -2,
      short: -200,
      int: -2,
      long: 4294967296n,
      bytes: Uint8Array.from([1, 2, 3]),
      str: 'hi',
      time: new Date(0x018bcfe56800),
      id: '00010203-0405-0607-0809-0a0b0c0d0e0f',
    });
  });

  test('repeated header strings that share length and sampled bytes stay distinct', () => {
    // Same length, first, middle and last byte: the decoder's lookup key collides.
    const values = ['aXbYc', 'aZbWc', 'aXbYc', 'aZbWc', 'aQbQc'];
    const messages = decodeAll(values.map((value) => eventStreamMessage({ k: value }, new Uint8Array(0))));
    expect(messages.map((m) => m.headers.k)).toEqual(values);
  });

  test('a header that is not UTF-8 fails clearly', () => {
    const headers = [1, 0x61, 7, 0, 2, 0xc3, 0x28];
    const total = 12 + headers.length + 4;
    const bytes = new Uint8Array(total);
    const view = new DataView(bytes.buffer);
    view.setUint32(0, total);
    view.setUint32(4, headers.length);
    view.setUint32(8, crc32(bytes, 0, 8));
    bytes.set(headers, 12);
    view.setUint32(total - 4, crc32(bytes, 0, total - 4));
    expect(decodeError([bytes])).toBe('Corrupt event stream: a header is not valid UTF-8');
  });

  test('an unknown header type fails clearly', () => {
    const headers = [1, 0x61, 42];
    const total = 12 + headers.length + 4;
    const bytes = new Uint8Array(total);
    const view = new DataView(bytes.buffer);
    view.setUint32(0, total);
    view.setUint32(4, headers.length);
    view.setUint32(8, crc32(bytes, 0, 8));
    bytes.set(headers, 12);
    view.setUint32(total - 4, crc32(bytes, 0, total - 4));
    expect(decodeError([bytes])).toBe('Corrupt event stream: unknown header type 42 for header "a"');
  });
});
