/**
 * An incremental decoder for AWS event streams
 * (`application/vnd.amazon.eventstream`), the binary framing of Bedrock's
 * streamed responses. Each message is:
 *
 *   total length (u32) | headers length (u32) | prelude CRC32 (u32)
 *   headers | payload | message CRC32 (u32)
 *
 * all big-endian, both checksums CRC-32 (IEEE). Network chunks may split a
 * message anywhere. The decoder reads whole messages straight out of each
 * chunk and copies only the unfinished tail of a chunk, into one buffer that
 * holds at most one message: every byte is copied at most once.
 */

export type EventStreamHeaderValue = boolean | number | bigint | string | Uint8Array | Date;

export interface EventStreamMessage {
  headers: Record<string, EventStreamHeaderValue>;
  /** A view into the chunk or the decoder's buffer, valid only during the callback. */
  payload: Uint8Array;
}

/** A message that fails its checksum or is not framed as the format says, or a stream cut inside one. */
export class EventStreamError extends Error {
  constructor(
    message: string,
    /** The stream ended inside a message: the bytes were fine, the connection was not. */
    readonly truncated = false,
  ) {
    super(message);
    this.name = 'EventStreamError';
  }
}

const PRELUDE_BYTES = 12;
const OVERHEAD_BYTES = 16;
// The format allows 16 MiB of payload and 128 KiB of headers; anything larger is corruption.
const MAX_MESSAGE_BYTES = 16 * 1024 * 1024 + 128 * 1024 + OVERHEAD_BYTES;
const MAX_HEADERS_BYTES = 128 * 1024;
const MIN_BUFFER_BYTES = 4096;
const MAX_INTERNED_LENGTH = 64;
const MAX_INTERNED = 256;

export class EventStreamDecoder {
  #pending = new Uint8Array(0);
  /** Bytes of the unfinished message held in `pending`, always from offset 0. */
  #filled = 0;
  readonly #utf8 = new TextDecoder('utf-8', { fatal: true });
  readonly #interned = new Map<number, { text: string; bytes: Uint8Array }[]>();
  #internedCount = 0;

  readonly #onMessage: (message: EventStreamMessage) => void;

  constructor(onMessage: (message: EventStreamMessage) => void) {
    this.#onMessage = onMessage;
  }

  /** Bytes held for a message that has not arrived whole yet. */
  get buffered(): number {
    return this.#filled;
  }

  /** Decodes every message the chunk completes. Throws `EventStreamError` on corruption. */
  push(chunk: Uint8Array): void {
    let from = 0;
    // First finish the pending message, taking from the chunk only the bytes it still needs.
    while (this.#filled > 0 && from < chunk.length) {
      const take = Math.min(this.#missing(), chunk.length - from);
      this.#append(chunk, from, from + take);
      from += take;
      if (this.#decode(this.#pending, 0, this.#filled) === this.#filled) this.#filled = 0;
    }
    if (from === chunk.length) return;
    const used = this.#decode(chunk, from, chunk.length);
    if (used < chunk.length) this.#append(chunk, used, chunk.length);
  }

  /** Call at the end of the stream: throws if it stopped inside a message. */
  end(): void {
    if (this.#filled === 0) return;
    const total = this.#filled >= 4 ? readU32(this.#pending, 0) : undefined;
    const of = total === undefined ? '' : ` of ${total}`;
    throw new EventStreamError(`The event stream ended inside a message (${this.#filled}${of} bytes received)`, true);
  }

  /** Bytes still needed to complete the prelude, or else the pending message. */
  #missing(): number {
    if (this.#filled < PRELUDE_BYTES) return PRELUDE_BYTES - this.#filled;
    return readU32(this.#pending, 0) - this.#filled;
  }

  #append(chunk: Uint8Array, start: number, end: number): void {
    const needed = this.#filled + end - start;
    if (needed > this.#pending.length) {
      const grown = new Uint8Array(Math.max(needed, this.#pending.length * 2, MIN_BUFFER_BYTES));
      grown.set(this.#pending.subarray(0, this.#filled));
      this.#pending = grown;
    }
    this.#pending.set(chunk.subarray(start, end), this.#filled);
    this.#filled = needed;
  }

  /**
   * Decodes the whole messages in `bytes[offset, limit)` and returns where
   * the first incomplete one starts. A complete prelude is checked at once,
   * so a corrupt length fails fast instead of waiting for bytes that never come.
   */
  #decode(bytes: Uint8Array, offset: number, limit: number): number {
    let words: DataView | undefined;
    while (limit - offset >= PRELUDE_BYTES) {
      words ??= wordsOf(bytes);
      const total = readU32(bytes, offset);
      const headersLength = readU32(bytes, offset + 4);
      const preludeCrc = crc32Of(bytes, words, offset, offset + 8, 0);
      const expectedPrelude = readU32(bytes, offset + 8);
      if (preludeCrc !== expectedPrelude) {
        throw new EventStreamError(
          `Corrupt event stream: prelude checksum mismatch (expected ${hex(expectedPrelude)}, computed ${hex(preludeCrc)})`,
        );
      }
      if (total < OVERHEAD_BYTES || total > MAX_MESSAGE_BYTES) {
        throw new EventStreamError(`Corrupt event stream: message length ${total} is out of range`);
      }
      if (headersLength > MAX_HEADERS_BYTES || headersLength > total - OVERHEAD_BYTES) {
        throw new EventStreamError(
          `Corrupt event stream: headers length ${headersLength} does not fit a ${total}-byte message`,
        );
      }
      if (limit - offset < total) break;
      const end = offset + total;
      const messageCrc = crc32Of(bytes, words, offset + 8, end - 4, preludeCrc);
      const expectedMessage = readU32(bytes, end - 4);
      if (messageCrc !== expectedMessage) {
        throw new EventStreamError(
          `Corrupt event stream: message checksum mismatch (expected ${hex(expectedMessage)}, computed ${hex(messageCrc)})`,
        );
      }
      const headersStart = offset + PRELUDE_BYTES;
      const payloadStart = headersStart + headersLength;
      const headers = this.#readHeaders(bytes, headersStart, payloadStart);
      this.#onMessage({ headers, payload: bytes.subarray(payloadStart, end - 4) });
      offset = end;
    }
    return offset;
  }

  #readHeaders(bytes: Uint8Array, start: number, end: number): Record<string, EventStreamHeaderValue> {
    const headers: Record<string, EventStreamHeaderValue> = {};
    let at = start;
    while (at < end) {
      const nameLength = bytes[at] as number;
      const nameEnd = at + 1 + nameLength;
      if (nameLength === 0 || nameEnd >= end) throw corruptHeaders();
      const name = this.#text(bytes, at + 1, nameEnd);
      const type = bytes[nameEnd] as number;
      at = nameEnd + 1;
      let value: EventStreamHeaderValue;
      switch (type) {
        case 0:
          value = true;
          break;
        case 1:
          value = false;
          break;
        case 2:
          need(at + 1, end);
          value = ((bytes[at] as number) << 24) >> 24;
          at += 1;
          break;
        case 3:
          need(at + 2, end);
          value = (((bytes[at] as number) << 24) | ((bytes[at + 1] as number) << 16)) >> 16;
          at += 2;
          break;
        case 4:
          need(at + 4, end);
          value = readU32(bytes, at) | 0;
          at += 4;
          break;
        case 5:
          need(at + 8, end);
          value = wordsOf(bytes).getBigInt64(at);
          at += 8;
          break;
        case 6:
        case 7: {
          need(at + 2, end);
          const length = ((bytes[at] as number) << 8) | (bytes[at + 1] as number);
          const valueEnd = at + 2 + length;
          need(valueEnd, end);
          value = type === 6 ? bytes.slice(at + 2, valueEnd) : this.#text(bytes, at + 2, valueEnd);
          at = valueEnd;
          break;
        }
        case 8:
          need(at + 8, end);
          value = new Date(Number(wordsOf(bytes).getBigInt64(at)));
          at += 8;
          break;
        case 9:
          need(at + 16, end);
          value = uuid(bytes, at);
          at += 16;
          break;
        default:
          throw new EventStreamError(`Corrupt event stream: unknown header type ${type} for header "${name}"`);
      }
      headers[name] = value;
    }
    return headers;
  }

  #utf8Text(bytes: Uint8Array, start: number, end: number): string {
    try {
      return this.#utf8.decode(bytes.subarray(start, end));
    } catch {
      throw new EventStreamError('Corrupt event stream: a header is not valid UTF-8');
    }
  }

  /**
   * Header names and values repeat on every message (`:event-type`,
   * `contentBlockDelta`, `application/json`): they are found by their length
   * and a few of their bytes, checked byte for byte, and built only once.
   */
  #text(bytes: Uint8Array, start: number, end: number): string {
    const length = end - start;
    if (length === 0) return '';
    if (length > MAX_INTERNED_LENGTH) return this.#utf8Text(bytes, start, end);
    const key =
      length |
      ((bytes[start] as number) << 8) |
      ((bytes[start + (length >> 1)] as number) << 16) |
      ((bytes[end - 1] as number) << 24);
    const bucket = this.#interned.get(key);
    if (bucket !== undefined) {
      for (const candidate of bucket) if (sameBytes(candidate.bytes, bytes, start, end)) return candidate.text;
    }
    const value = this.#utf8Text(bytes, start, end);
    if (this.#internedCount < MAX_INTERNED) {
      this.#internedCount++;
      const entry = { text: value, bytes: bytes.slice(start, end) };
      if (bucket) bucket.push(entry);
      else this.#interned.set(key, [entry]);
    }
    return value;
  }
}

/**
 * Reads a response body as an event stream, in one read loop with no stream
 * transforms. `onMessage` runs synchronously for each message; if it throws,
 * reading stops and the error propagates. Throws `EventStreamError` on a
 * corrupt message or a body that ends inside one.
 */
export async function readEventStream(
  body: ReadableStream<Uint8Array>,
  onMessage: (message: EventStreamMessage) => void,
  onChunk?: () => void,
): Promise<void> {
  const reader = body.getReader();
  const decoder = new EventStreamDecoder(onMessage);
  let finished = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      onChunk?.();
      decoder.push(value);
    }
    finished = true;
    decoder.end();
  } finally {
    if (!finished) reader.cancel().catch(() => {});
    else reader.releaseLock();
  }
}

function sameBytes(known: Uint8Array, bytes: Uint8Array, start: number, end: number): boolean {
  if (known.length !== end - start) return false;
  for (let i = 0; i < known.length; i++) if (known[i] !== bytes[start + i]) return false;
  return true;
}

function need(position: number, end: number): void {
  if (position > end) throw corruptHeaders();
}

function corruptHeaders(): EventStreamError {
  return new EventStreamError('Corrupt event stream: a header runs past the end of the headers');
}

function readU32(bytes: Uint8Array, at: number): number {
  return (
    (((bytes[at] as number) << 24) |
      ((bytes[at + 1] as number) << 16) |
      ((bytes[at + 2] as number) << 8) |
      (bytes[at + 3] as number)) >>>
    0
  );
}

function uuid(bytes: Uint8Array, at: number): string {
  let out = '';
  for (let i = 0; i < 16; i++) {
    if (i === 4 || i === 6 || i === 8 || i === 10) out += '-';
    out += (bytes[at + i] as number).toString(16).padStart(2, '0');
  }
  return out;
}

function hex(value: number): string {
  return `0x${value.toString(16).padStart(8, '0')}`;
}

let crcTables: Int32Array | undefined;

/** Four 256-entry tables for slicing-by-4: four bytes per step instead of one. */
function tables(): Int32Array {
  if (crcTables) return crcTables;
  const t = new Int32Array(1024);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  for (let n = 0; n < 256; n++) {
    for (let k = 1; k < 4; k++) {
      const previous = t[(k - 1) * 256 + n] as number;
      t[k * 256 + n] = (previous >>> 8) ^ (t[previous & 0xff] as number);
    }
  }
  crcTables = t;
  return t;
}

/**
 * CRC-32 (IEEE 802.3) of `bytes[start, end)`. Pass the CRC of the bytes
 * before `start` as `previous` to continue it.
 */
export function crc32(bytes: Uint8Array, start = 0, end = bytes.length, previous = 0): number {
  return crc32Of(bytes, wordsOf(bytes), start, end, previous);
}

function wordsOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** `words` views the same bytes: DataView reads a little-endian word in one step, far cheaper than four byte loads. */
function crc32Of(bytes: Uint8Array, words: DataView, start: number, end: number, previous: number): number {
  const t = tables();
  let c = ~previous;
  let i = start;
  for (; i + 4 <= end; i += 4) {
    c ^= words.getInt32(i, true);
    c =
      (t[768 + (c & 0xff)] as number) ^
      (t[512 + ((c >>> 8) & 0xff)] as number) ^
      (t[256 + ((c >>> 16) & 0xff)] as number) ^
      (t[c >>> 24] as number);
  }
  for (; i < end; i++) c = (t[(c ^ (bytes[i] as number)) & 0xff] as number) ^ (c >>> 8);
  return ~c >>> 0;
}
