/**
 * Inline markdown (emphasis, code spans, links) as terminal text. Without
 * colour, emphasis keeps its markdown marks, which then say what SGR would.
 */
import type { Token } from 'marked';
import type { MarkdownTheme } from './theme.js';

const ENTITIES: Record<string, string> = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#39;': "'" };

export function decodeEntities(text: string): string {
  return text.replace(/&(?:amp|lt|gt|quot|#39);/g, (entity) => ENTITIES[entity] ?? entity);
}

export function renderInline(tokens: readonly Token[] | undefined, theme: MarkdownTheme): string {
  if (!tokens) return '';
  return tokens.map((token) => inlineToken(token, theme)).join('');
}

function inlineToken(token: Token, theme: MarkdownTheme): string {
  const children = (): string =>
    'tokens' in token && Array.isArray(token.tokens)
      ? renderInline(token.tokens, theme)
      : decodeEntities(String((token as { text?: unknown }).text ?? ''));
  switch (token.type) {
    case 'strong':
      return theme.color ? theme.bold(children()) : token.raw;
    case 'em':
      return theme.color ? theme.italic(children()) : token.raw;
    case 'del':
      return theme.color ? theme.strike(children()) : token.raw;
    case 'codespan':
      return theme.color ? theme.code(decodeEntities(token.text)) : token.raw;
    case 'br':
      return '\n';
    case 'link': {
      const text = children();
      const href = String(token.href ?? '');
      if (!theme.color) return token.raw;
      return text === href || `mailto:${text}` === href
        ? theme.link(text)
        : `${theme.link(text)} ${theme.dim(`(${href})`)}`;
    }
    case 'image':
      return theme.color ? theme.dim(`[image: ${token.text || token.href}]`) : token.raw;
    case 'escape':
      return decodeEntities(token.text);
    case 'checkbox':
      return '';
    case 'text':
      return children();
    default:
      return token.raw;
  }
}
