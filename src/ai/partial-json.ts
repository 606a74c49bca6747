/**
 * An incremental JSON parser for streamed tool arguments.
 *
 * Each `feed` scans only the new text and updates one live value tree in
 * place, so the partial arguments are always readable and the total work is
 * linear in the size of the input. Re-parsing the growing buffer on every
 * delta would be quadratic: 200 KB in 2,000 fragments costs seconds.
 *
 * A string that is still open is visible with the text received so far.
 * Numbers and literals appear once they are complete. The grammar is strict
 * JSON (RFC 8259), like `JSON.parse`.
 */

type Container = Record<string, unknown> | unknown[];

/** What the parser reads next: numbers, not strings, so that a mode costs one comparison and few bytes. */
type Mode = number;
const VALUE = 0; // a value must come next
const VALUE_OR_END = 1; // just after `[`
const KEY_OR_END = 2; // just after `{`
const KEY = 3; // after `,` in an object
const COLON = 4;
const AFTER = 5; // after a value inside a container
const STRING = 6;
const NUMBER_MODE = 7;
const LITERAL = 8;
const DONE = 9;
const ERROR = 10;

interface Frame {
  container: Container;
  isArray: boolean;
  key: string;
}

const LITERALS: Record<string, true | false | null> = { true: true, false: false, null: null };
const NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

/** Escape state inside a string: none, just after a backslash, or `\u` with this many hex digits to come. */
const NO_ESCAPE = 0;
const AFTER_BACKSLASH = -1;

/** `"`, `\`, `/`, `b`, `f`, `n`, `r`, `t`: the one-character escapes. */
function isSimpleEscape(code: number): boolean {
  return (
    code === 0x22 ||
    code === 0x5c ||
    code === 0x2f ||
    code === 0x62 ||
    code === 0x66 ||
    code === 0x6e ||
    code === 0x72 ||
    code === 0x74
  );
}

function isHexDigit(code: number): boolean {
  return (code >= 0x30 && code <= 0x39) || (code >= 0x41 && code <= 0x46) || (code >= 0x61 && code <= 0x66);
}

export class PartialJsonParser {
  /** The value parsed so far; `undefined` until a value has begun. */
  value: unknown = undefined;
  /** Set once the input can no longer be valid JSON. */
  error: string | undefined;

  #mode: Mode = VALUE;
  readonly #stack: Frame[] = [];
  #offset = 0;
  // The token being read: string text, number text or literal text.
  #token = '';
  #stringIsKey = false;
  #escapeState = NO_ESCAPE;
  /** An escape sequence cut by the end of the last chunk, raw, decoded once the next one completes it. */
  #carry = '';

  feed(chunk: string): void {
    if (this.#mode === ERROR) return;
    let i = 0;
    const n = chunk.length;
    while (i < n) {
      if (this.#mode === STRING) {
        i = this.#readString(chunk, i);
        continue;
      }
      const code = chunk.charCodeAt(i);
      if (this.#mode === NUMBER_MODE || this.#mode === LITERAL) {
        if (
          (code >= 0x61 && code <= 0x7a) ||
          (code >= 0x30 && code <= 0x39) ||
          code === 0x2e ||
          code === 0x2b ||
          code === 0x2d ||
          code === 0x45
        ) {
          this.#token += chunk[i];
          i++;
          continue;
        }
        if (!this.#endScalar(this.#offset + i)) return;
        continue; // re-read this character in the new mode
      }
      if (code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09) {
        i++;
        continue;
      }
      if (!this.#structural(chunk[i] as string, code, this.#offset + i)) return;
      i++;
    }
    this.#offset += n;
    if (this.#mode === STRING && !this.#stringIsKey) this.#place(this.#token, false);
  }

  /** Ends the input. Returns the complete value, or sets `error`. */
  finish(): unknown {
    if (this.#mode === NUMBER_MODE || this.#mode === LITERAL) this.#endScalar(this.#offset);
    if (this.#mode === DONE) return this.value;
    if (this.#mode !== ERROR) {
      this.#fail(
        this.#mode === STRING
          ? `Unterminated string at position ${this.#offset}`
          : `Unexpected end of JSON input at position ${this.#offset}`,
      );
    }
    return undefined;
  }

  #fail(message: string): false {
    this.#mode = ERROR;
    this.error = message;
    return false;
  }

  #unexpected(char: string, position: number): false {
    return this.#fail(`Unexpected character ${JSON.stringify(char)} at position ${position}`);
  }

  #structural(char: string, code: number, position: number): boolean {
    const mode = this.#mode;
    if (mode === DONE) return this.#fail(`Unexpected data after JSON at position ${position}`);
    if (mode === COLON && char === ':') {
      this.#mode = VALUE;
      return true;
    }
    if (mode === AFTER && char === ',') {
      this.#mode = (this.#stack[this.#stack.length - 1] as Frame).isArray ? VALUE : KEY;
      return true;
    }
    // `]` may end an array at its start or after a value, `}` an object likewise; the frame must match.
    if (
      (char === ']' && (mode === VALUE_OR_END || mode === AFTER)) ||
      (char === '}' && (mode === KEY_OR_END || mode === AFTER))
    ) {
      return this.#close(char === ']', position, char);
    }
    if (char === '"' && (mode === KEY_OR_END || mode === KEY)) return this.#beginString(true);
    if (mode === VALUE || mode === VALUE_OR_END) return this.#beginValue(char, code, position);
    return this.#unexpected(char, position);
  }

  #beginValue(char: string, code: number, position: number): boolean {
    if (char === '{' || char === '[') {
      const isArray = char === '[';
      const container: Container = isArray ? [] : {};
      this.#place(container, true);
      this.#stack.push({ container, isArray, key: '' });
      this.#mode = isArray ? VALUE_OR_END : KEY_OR_END;
      return true;
    }
    if (char === '"') {
      this.#beginString(false);
      this.#place('', true);
      return true;
    }
    if (char === '-' || (code >= 0x30 && code <= 0x39)) {
      this.#mode = NUMBER_MODE;
      this.#token = char;
      return true;
    }
    if (char === 't' || char === 'f' || char === 'n') {
      this.#mode = LITERAL;
      this.#token = char;
      return true;
    }
    return this.#unexpected(char, position);
  }

  #beginString(isKey: boolean): true {
    this.#mode = STRING;
    this.#stringIsKey = isKey;
    this.#token = '';
    this.#carry = '';
    this.#escapeState = NO_ESCAPE;
    return true;
  }

  /**
   * Reads string content from `i`; returns the index after what it consumed.
   * The scan only checks the grammar. What it covers is decoded in one piece,
   * natively when it holds escapes: appending piece by piece between escapes
   * would build a rope of millions of tiny strings, many times the size of
   * the text (50 MB of code cost 550 MB).
   */
  #readString(chunk: string, i: number): number {
    const n = chunk.length;
    const from = i;
    let state = this.#escapeState;
    // Where the escape still open at the end began in this chunk; -1 while it is the carried one.
    let escapeStart = -1;
    let escaped = this.#carry !== '';
    while (i < n) {
      const code = chunk.charCodeAt(i);
      if (state === NO_ESCAPE) {
        if (code === 0x22 /* " */) break;
        if (code === 0x5c /* \ */) {
          state = AFTER_BACKSLASH;
          escapeStart = i;
          escaped = true;
        } else if (code < 0x20) {
          this.#fail(`Bad control character in string at position ${this.#offset + i}`);
          return n;
        }
      } else if (state === AFTER_BACKSLASH) {
        if (code === 0x75 /* u */) state = 4;
        else if (isSimpleEscape(code)) state = NO_ESCAPE;
        else {
          this.#unexpected(chunk[i] as string, this.#offset + i);
          return n;
        }
      } else {
        if (!isHexDigit(code)) {
          this.#unexpected(chunk[i] as string, this.#offset + i);
          return n;
        }
        state--;
      }
      i++;
    }
    let complete: string;
    if (state === NO_ESCAPE) {
      complete = this.#carry + chunk.slice(from, i);
      this.#carry = '';
    } else if (escapeStart !== -1) {
      complete = this.#carry + chunk.slice(from, escapeStart);
      this.#carry = chunk.slice(escapeStart, i);
    } else {
      complete = '';
      this.#carry += chunk.slice(from, i);
    }
    this.#escapeState = state;
    // The scan checked every escape, so this parse cannot fail.
    if (complete !== '') this.#token += escaped ? (JSON.parse(`"${complete}"`) as string) : complete;
    if (i === n) return n;
    this.#endString();
    return i + 1;
  }

  #endString(): void {
    const text = this.#token;
    this.#token = '';
    if (this.#stringIsKey) {
      (this.#stack[this.#stack.length - 1] as Frame).key = text;
      this.#mode = COLON;
      return;
    }
    this.#place(text, false);
    this.#afterValue();
  }

  #endScalar(position: number): boolean {
    const text = this.#token;
    this.#token = '';
    let value: number | boolean | null;
    if (this.#mode === NUMBER_MODE) {
      if (!NUMBER.test(text)) return this.#fail(`Invalid number ${JSON.stringify(text)} before position ${position}`);
      value = Number(text);
    } else {
      const literal = LITERALS[text];
      if (literal === undefined)
        return this.#fail(`Invalid literal ${JSON.stringify(text)} before position ${position}`);
      value = literal;
    }
    this.#place(value, true);
    this.#afterValue();
    return true;
  }

  /**
   * Puts a value into the current slot. `fresh` is true the first time a
   * slot is filled; later calls update an open string in place.
   */
  #place(value: unknown, fresh: boolean): void {
    const frame = this.#stack[this.#stack.length - 1];
    if (!frame) {
      this.value = value;
      return;
    }
    if (frame.isArray) {
      const array = frame.container as unknown[];
      if (fresh) array.push(value);
      else array[array.length - 1] = value;
    } else {
      (frame.container as Record<string, unknown>)[frame.key] = value;
    }
  }

  #afterValue(): void {
    this.#mode = this.#stack.length === 0 ? DONE : AFTER;
  }

  #close(isArray: boolean, position: number, char: string): boolean {
    const frame = this.#stack[this.#stack.length - 1];
    if (!frame || frame.isArray !== isArray) return this.#unexpected(char, position);
    this.#stack.pop();
    this.#afterValue();
    return true;
  }
}

/** Parses a complete argument string, as providers that send it whole need. */
export function parseToolArguments(raw: string): { value: Record<string, unknown>; error?: string } {
  const parser = new PartialJsonParser();
  parser.feed(raw);
  return finishToolArguments(parser, raw);
}

/**
 * Ends a tool call's argument stream. Empty input means no arguments; any
 * other value must be a JSON object.
 */
export function finishToolArguments(
  parser: PartialJsonParser,
  raw: string,
): { value: Record<string, unknown>; error?: string } {
  if (parser.value === undefined && parser.error === undefined && raw.trim() === '') return { value: {} };
  const value = parser.finish();
  const partial = isObject(parser.value) ? parser.value : {};
  if (parser.error !== undefined) return { value: partial, error: parser.error };
  if (!isObject(value)) return { value: {}, error: 'Tool arguments must be a JSON object' };
  return { value };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
