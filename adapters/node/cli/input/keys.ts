/**
 * Turns the bytes a terminal sends into keys: text, control keys, escape
 * sequences (arrows, Home/End, Delete, Alt-Enter, Shift-Enter as xterm's
 * modifyOtherKeys and the kitty protocol report it) and bracketed paste,
 * whose content is one `paste` key however many lines it has. Sequences may
 * arrive split across reads: what is incomplete waits for the next chunk,
 * and a lone Escape is released by `flush()` (call it after a short quiet
 * time, as terminals send a sequence in one write).
 */

export type Key =
  | { type: 'text'; text: string }
  | { type: 'paste'; text: string }
  | { type: 'enter' }
  /** Alt-Enter, Shift-Enter (where the terminal reports it), Ctrl-J. */
  | { type: 'newline' }
  | { type: 'backspace' }
  | { type: 'delete' }
  | { type: 'tab' }
  | { type: 'escape' }
  | { type: 'up' | 'down' | 'left' | 'right' | 'home' | 'end' }
  | { type: 'wordLeft' | 'wordRight' }
  /** Ctrl and a letter, lower case: `c`, `d`, `a`, `e`, `w`, `u`, `k`, `l`, `o`… */
  | { type: 'ctrl'; key: string };

const PASTE_START = '\x1b[200~';
const PASTE_END = '\x1b[201~';
/** A paste is bounded like every other buffer: past this, the rest is dropped. */
export const MAX_PASTE_CHARS = 4 * 1024 * 1024;

const CSI_KEYS: Record<string, Key> = {
  A: { type: 'up' },
  B: { type: 'down' },
  C: { type: 'right' },
  D: { type: 'left' },
  H: { type: 'home' },
  F: { type: 'end' },
  '1~': { type: 'home' },
  '7~': { type: 'home' },
  '4~': { type: 'end' },
  '8~': { type: 'end' },
  '3~': { type: 'delete' },
  // Ctrl/Alt with an arrow: a word at a time.
  '1;5C': { type: 'wordRight' },
  '1;5D': { type: 'wordLeft' },
  '1;3C': { type: 'wordRight' },
  '1;3D': { type: 'wordLeft' },
  // Shift-Enter: xterm's modifyOtherKeys, and the kitty keyboard protocol.
  '27;2;13~': { type: 'newline' },
  '13;2u': { type: 'newline' },
};

export class KeyDecoder {
  #pending = '';
  #paste: string | undefined;

  /** The keys in `chunk`, plus any completed by it; an incomplete sequence waits. */
  feed(chunk: string): Key[] {
    const keys: Key[] = [];
    let input = this.#pending + chunk;
    this.#pending = '';
    while (input.length > 0) {
      if (this.#paste !== undefined) {
        const end = input.indexOf(PASTE_END);
        if (end === -1) {
          // Keep a possible start of the end marker for the next chunk.
          const keep = partialSuffix(input, PASTE_END);
          this.#appendPaste(input.slice(0, input.length - keep));
          this.#pending = input.slice(input.length - keep);
          return keys;
        }
        this.#appendPaste(input.slice(0, end));
        keys.push({ type: 'paste', text: normalizeNewlines(this.#paste) });
        this.#paste = undefined;
        input = input.slice(end + PASTE_END.length);
        continue;
      }
      const code = input.charCodeAt(0);
      if (code === 0x1b) {
        const consumed = this.#escape(input, keys);
        if (consumed === 0) {
          this.#pending = input;
          return keys;
        }
        input = input.slice(consumed);
        continue;
      }
      input = input.slice(this.#control(input, keys));
    }
    return keys;
  }

  /** Releases what waits: a lone Escape, or a sequence that will never complete. */
  flush(): Key[] {
    const pending = this.#pending;
    this.#pending = '';
    if (this.#paste !== undefined) return [];
    if (pending === '\x1b') return [{ type: 'escape' }];
    // A sequence cut short: its printable part, if any, was typed.
    const text = printable(pending.slice(1));
    return text ? [{ type: 'text', text }] : [];
  }

  #appendPaste(text: string): void {
    const room = MAX_PASTE_CHARS - (this.#paste?.length ?? 0);
    this.#paste = (this.#paste ?? '') + (room > 0 ? text.slice(0, room) : '');
  }

  /** Reads one escape sequence at the start of `input`; 0 when it is not complete yet. */
  #escape(input: string, keys: Key[]): number {
    if (input.length === 1) return 0;
    if (input.startsWith(PASTE_START)) {
      this.#paste = '';
      return PASTE_START.length;
    }
    if (PASTE_START.startsWith(input)) return 0;
    const second = input[1] as string;
    if (second === '\r' || second === '\n') {
      keys.push({ type: 'newline' });
      return 2;
    }
    if (second === '[' || second === 'O') {
      // CSI or SS3: parameters, then one final byte in @..~.
      for (let i = 2; i < input.length; i++) {
        const c = input.charCodeAt(i);
        if (c >= 0x40 && c <= 0x7e) {
          const body = input.slice(2, i + 1);
          const key = CSI_KEYS[body];
          if (key) keys.push(key);
          // An unknown sequence is dropped whole, never typed as text.
          return i + 1;
        }
        if (i > 32) return i; // Not a sequence any terminal sends: drop what was read.
      }
      return 0;
    }
    if (second === 'b') {
      keys.push({ type: 'wordLeft' });
      return 2;
    }
    if (second === 'f') {
      keys.push({ type: 'wordRight' });
      return 2;
    }
    if (second === '\x7f') {
      keys.push({ type: 'ctrl', key: 'w' });
      return 2;
    }
    keys.push({ type: 'escape' });
    return 1;
  }

  /** Reads a control key or a run of text at the start of `input`; returns what it consumed. */
  #control(input: string, keys: Key[]): number {
    const code = input.charCodeAt(0);
    if (code === 0x0d) {
      // A CR LF pair is one Enter.
      keys.push({ type: 'enter' });
      return input[1] === '\n' ? 2 : 1;
    }
    if (code === 0x0a) {
      keys.push({ type: 'newline' });
      return 1;
    }
    if (code === 0x7f || code === 0x08) {
      keys.push({ type: 'backspace' });
      return 1;
    }
    if (code === 0x09) {
      keys.push({ type: 'tab' });
      return 1;
    }
    if (code < 0x20) {
      keys.push({ type: 'ctrl', key: String.fromCharCode(code + 0x60) });
      return 1;
    }
    let end = 1;
    while (end < input.length) {
      const c = input.charCodeAt(end);
      if (c < 0x20 || c === 0x7f) break;
      end++;
    }
    const last = keys.at(-1);
    const text = input.slice(0, end);
    if (last?.type === 'text') last.text += text;
    else keys.push({ type: 'text', text });
    return end;
  }
}

/** How many characters at the end of `text` could begin `marker`. */
function partialSuffix(text: string, marker: string): number {
  for (let n = Math.min(marker.length - 1, text.length); n > 0; n--) {
    if (marker.startsWith(text.slice(text.length - n))) return n;
  }
  return 0;
}

/** A pasted block as text: CR LF and CR become LF, other control characters (colour codes from a copied log) go. */
function normalizeNewlines(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: dropping control characters is the point
  return text.replace(/\r\n?/g, '\n').replace(/\x1b\[[0-9;?]*[ -/]*[@-~]|[\x00-\x08\x0b-\x1f\x7f]/g, '');
}

function printable(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: dropping control characters is the point
  return text.replace(/[\x00-\x1f\x7f]/g, '');
}
