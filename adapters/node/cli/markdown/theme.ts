/**
 * The styles markdown is drawn with: SGR codes on a colour terminal, and
 * none at all without colour, where the renderer keeps markdown's own marks
 * (`**`, `#`, fences) so that emphasis and structure still show.
 */

export interface MarkdownTheme {
  readonly color: boolean;
  bold(text: string): string;
  italic(text: string): string;
  underline(text: string): string;
  strike(text: string): string;
  dim(text: string): string;
  /** Inline code. */
  code(text: string): string;
  heading(text: string, level: number): string;
  link(text: string): string;
  /** An SGR foreground code (30-37, 90-97) around `text`, for syntax highlighting. */
  fg(code: number, text: string): string;
}

export function markdownTheme(color: boolean): MarkdownTheme {
  // Each style closes only itself, so they nest.
  const sgr = (open: number | string, close: number) => (text: string) =>
    color && text !== '' ? `\x1b[${open}m${text}\x1b[${close}m` : text;
  const bold = sgr(1, 22);
  const underline = sgr(4, 24);
  const cyan = sgr(36, 39);
  const magenta = sgr(35, 39);
  return {
    color,
    bold,
    italic: sgr(3, 23),
    underline,
    strike: sgr(9, 29),
    dim: sgr(2, 22),
    code: sgr(33, 39),
    heading: (text, level) =>
      level === 1 ? bold(underline(magenta(text))) : level === 2 ? bold(magenta(text)) : bold(cyan(text)),
    link: (text) => underline(sgr(34, 39)(text)),
    fg: (code, text) => sgr(code, 39)(text),
  };
}
