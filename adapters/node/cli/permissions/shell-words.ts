/**
 * Splits a bash command into its simple commands (joined by `;`, `&`, `&&`,
 * `||`, `|`, `|&` or newlines), each as its words unquoted by POSIX rules:
 * single quotes, double quotes and backslashes.
 *
 * It understands only what a permission rule can judge. Anything whose words
 * are not known before it runs, or that runs code the words do not show, is
 * refused with a reason, so the caller asks: `$(…)`, backticks, `$'…'`,
 * `eval`, process substitution `<(…)`/`>(…)`, subshells and brace groups,
 * compound commands (`if`, `for`, …), here-documents, redirection to a file,
 * and anything it cannot parse. `$NAME` is kept as written: it never matches
 * a rule word, except one that spells it the same way.
 */

export type SplitResult = { ok: true; commands: string[][] } | { ok: false; reason: string };

/** First words that start a compound command or run a string as code. */
const MUST_ASK_WORDS = new Set([
  'eval',
  'if',
  'then',
  'else',
  'elif',
  'fi',
  'for',
  'while',
  'until',
  'do',
  'done',
  'case',
  'esac',
  'select',
  'function',
  'coproc',
  '{',
  '}',
  '[[',
  ']]',
]);

const BLANK = new Set([' ', '\t']);
/** Redirection targets that write nowhere that matters. */
const HARMLESS_TARGETS = new Set(['/dev/null', '/dev/stdout', '/dev/stderr']);

class MustAsk extends Error {}

export function splitCommand(command: string): SplitResult {
  try {
    return { ok: true, commands: new Splitter(command).run() };
  } catch (error) {
    if (error instanceof MustAsk) return { ok: false, reason: error.message };
    throw error;
  }
}

class Splitter {
  private i = 0;
  private readonly commands: string[][] = [];
  private words: string[] = [];
  /** The word being read; undefined between words (`''` is an empty quoted word). */
  private word: string | undefined;
  /** The last operator ended a command and needs one after it (`|`, `&&`, `||`). */
  private needCommand = false;

  constructor(private readonly text: string) {}

  run(): string[][] {
    const { text } = this;
    while (this.i < text.length) {
      const c = text[this.i] as string;
      if (BLANK.has(c)) {
        this.endWord();
        this.i++;
      } else if (c === '\n' || c === ';') {
        this.endCommand(c === '\n' ? 'newline' : ';', false);
        this.i++;
      } else if (c === '&' || c === '|') {
        this.operator(c);
      } else if (c === '#' && this.word === undefined) {
        while (this.i < text.length && text[this.i] !== '\n') this.i++;
      } else if (c === '<' || c === '>') {
        this.redirection();
      } else if (c === '(' || c === ')') {
        throw new MustAsk(c === '(' ? 'it runs a subshell "(…)"' : 'it has an unmatched ")"');
      } else {
        this.wordPart();
      }
    }
    this.endWord();
    if (this.needCommand && this.words.length === 0) {
      throw new MustAsk('it ends with an operator that needs a command after it');
    }
    this.endCommand('end', false);
    return this.commands;
  }

  private operator(c: '&' | '|'): void {
    const next = this.text[this.i + 1];
    if (c === '&' && next === '>') {
      this.redirection();
    } else if (c === '&' && next === '&') {
      this.i += 2;
      this.endCommand('&&', true);
    } else if (c === '|' && (next === '|' || next === '&')) {
      this.i += 2;
      this.endCommand(`|${next}`, true);
    } else {
      this.i++;
      this.endCommand(c, c === '|');
    }
  }

  /** `>`, `>>`, `<`, `2>&1`, `&>`, `>|`: the fd number before it is already in `word`. */
  private redirection(): void {
    const { text } = this;
    let fd = this.word;
    if (fd !== undefined && !/^\d+$/.test(fd)) fd = undefined;
    if (fd === undefined) this.endWord();
    else this.word = undefined;
    let op = '';
    while (this.i < text.length && /[<>&|]/.test(text[this.i] as string) && op.length < 3) {
      op += text[this.i];
      this.i++;
    }
    if (op.startsWith('<<')) throw new MustAsk('it has a here-document ("<<")');
    if (text[this.i] === '(') throw new MustAsk(`it uses process substitution "${op}(…)"`);
    // `>&2`, `2>&1`, `<&0`: a copy of a descriptor, no file.
    if ((op === '>&' || op === '<&') && /^(\d+|-)(?![^\s;&|<>()])/.test(text.slice(this.i))) {
      this.i += /^(\d+|-)/.exec(text.slice(this.i))?.[0].length ?? 0;
      return;
    }
    while (BLANK.has(text[this.i] as string)) this.i++;
    const before = this.words.length;
    const saved = this.word;
    this.word = undefined;
    // The target is one word, read with the same rules.
    while (this.i < text.length && !/[\s;&|<>()]/.test(text[this.i] as string)) this.wordPart();
    const target = this.word;
    this.word = saved;
    this.words.length = before;
    if (target === undefined) throw new MustAsk(`it has a redirection "${op}" with no target`);
    if (op.startsWith('<')) return;
    if (!HARMLESS_TARGETS.has(target)) throw new MustAsk(`it writes to a file with "${op} ${target}"`);
  }

  /** Reads one piece of a word: a quoted string, an escape, or plain characters. */
  private wordPart(): void {
    const { text } = this;
    const c = text[this.i] as string;
    if (c === "'") {
      const end = text.indexOf("'", this.i + 1);
      if (end < 0) throw new MustAsk('it has an unterminated single quote');
      this.append(text.slice(this.i + 1, end));
      this.i = end + 1;
    } else if (c === '"') {
      this.doubleQuoted();
    } else if (c === '\\') {
      const next = text[this.i + 1];
      if (next === undefined) throw new MustAsk('it ends with a backslash');
      // A backslash-newline joins lines.
      if (next !== '\n') this.append(next);
      this.i += 2;
    } else if (c === '`') {
      throw new MustAsk('it runs a command in backticks');
    } else if (c === '$') {
      this.dollar();
    } else {
      this.append(c);
      this.i++;
    }
  }

  private doubleQuoted(): void {
    const { text } = this;
    this.i++;
    let out = '';
    for (;;) {
      const c = text[this.i];
      if (c === undefined) throw new MustAsk('it has an unterminated double quote');
      if (c === '"') break;
      if (c === '`') throw new MustAsk('it runs a command in backticks');
      if (c === '$' && text[this.i + 1] === '(') throw new MustAsk('it runs a command in "$(…)"');
      if (c === '\\' && '$`"\\\n'.includes(text[this.i + 1] ?? '')) {
        if (text[this.i + 1] !== '\n') out += text[this.i + 1];
        this.i += 2;
        continue;
      }
      out += c;
      this.i++;
    }
    this.i++;
    this.append(out);
  }

  private dollar(): void {
    const next = this.text[this.i + 1];
    if (next === '(') throw new MustAsk('it runs a command in "$(…)"');
    if (next === "'") throw new MustAsk('it uses ANSI-C quoting "$\'…\'"');
    if (next === '"') throw new MustAsk('it uses locale quoting "$"…""');
    this.append('$');
    this.i++;
  }

  private append(part: string): void {
    this.word = (this.word ?? '') + part;
  }

  private endWord(): void {
    if (this.word === undefined) return;
    this.words.push(this.word);
    this.word = undefined;
  }

  private endCommand(op: string, needsMore: boolean): void {
    this.endWord();
    if (this.words.length === 0) {
      // Blank lines and a trailing `;` are fine; an operator with nothing before it is not.
      if (op === 'newline' || op === 'end') return;
      if (op === ';' && !this.needCommand && this.commands.length > 0) return;
      throw new MustAsk(`it has "${op === 'newline' ? '\\n' : op}" with no command before it`);
    }
    const first = this.words[0] as string;
    if (MUST_ASK_WORDS.has(first)) {
      throw new MustAsk(first === 'eval' ? 'it runs a string as code with "eval"' : `it uses "${first}"`);
    }
    this.commands.push(this.words);
    this.words = [];
    this.needCommand = needsMore;
  }
}
