import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { describe, expect, it } from 'vitest';
import { MAX_SSE_LINE_CHARS, readServerSentEvents, StreamLimitError } from '../../src/ai/sse.js';

function body(chunks: (string | Uint8Array)[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(typeof chunk === 'string' ? encoder.encode(chunk) : chunk);
      controller.close();
    },
  });
}

async function read(chunks: (string | Uint8Array)[]): Promise<EventSourceMessage[]> {
  const events: EventSourceMessage[] = [];
  await readServerSentEvents(body(chunks), (event) => events.push({ ...event }));
  return events;
}

/** What eventsource-parser, the parser qcore used before its own, makes of the same text. */
function reference(text: string): EventSourceMessage[] {
  const events: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (event) => events.push({ ...event }) });
  parser.feed(text);
  parser.feed('\n\n');
  return events;
}

describe('readServerSentEvents', () => {
  it('reads data, event and id fields, multi-line data and comments', async () => {
    expect(
      await read([': hello\n\nevent: a\nid: 7\ndata: one\ndata:two\ndata\n\nretry: 10\nfoo: bar\ndata: x\n\n']),
    ).toEqual([
      { event: 'a', id: '7', data: 'one\ntwo\n' },
      { event: undefined, id: undefined, data: 'x' },
    ]);
  });

  it('ends lines at CRLF, LF or CR, also when a CRLF is split across chunks', async () => {
    expect(await read(['data: a\r', '\n\r', '\ndata: b\r\rdata: c\n', '\n'])).toEqual([
      { data: 'a' },
      { data: 'b' },
      { data: 'c' },
    ]);
  });

  it('decodes UTF-8 split across chunks', async () => {
    const bytes = new TextEncoder().encode('data: héllo 🌍\n\n');
    const chunks = [...bytes].map((byte) => new Uint8Array([byte]));
    expect(await read(chunks)).toEqual([{ data: 'héllo 🌍' }]);
  });

  it('delivers a last event that lacks its blank line, and drops events without data', async () => {
    expect(await read(['event: empty\n\nid: 1\n\ndata: last'])).toEqual([{ data: 'last' }]);
  });

  it('ignores an id with a NUL in it', async () => {
    expect(await read(['id: a\0b\ndata: x\n\n'])).toEqual([{ data: 'x' }]);
  });

  it('stops at a line longer than 16 MiB, counted across chunks', async () => {
    const piece = 'x'.repeat(1024 * 1024);
    const chunks = ['data: ', ...Array.from({ length: MAX_SSE_LINE_CHARS / piece.length + 1 }, () => piece)];
    await expect(read(chunks)).rejects.toThrow(StreamLimitError);
    await expect(read(chunks)).rejects.toThrow('An event stream line was longer than 16 MiB; reading stopped');
  });

  it('reads as eventsource-parser does, however the text is cut', async () => {
    const parts = [
      'data',
      'data:',
      'data: ',
      'event',
      'event: ',
      'id:',
      'id: ',
      ':',
      'retry: 5',
      'x',
      'é',
      ' ',
      '\n',
      '\r',
      '\r\n',
      '\n\n',
      '\0',
    ];
    let seed = 1;
    const random = (n: number): number => {
      seed = (seed * 48271) % 2147483647;
      return seed % n;
    };
    for (let round = 0; round < 300; round++) {
      let text = '';
      for (let i = random(40); i > 0; i--) text += parts[random(parts.length)];
      const cuts: string[] = [];
      for (let at = 0; at < text.length; ) {
        const next = at + 1 + random(6);
        cuts.push(text.slice(at, next));
        at = next;
      }
      expect(await read(cuts), JSON.stringify(text)).toEqual(reference(text));
    }
  });
});
