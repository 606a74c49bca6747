/**
 * Syntax highlighting of code blocks for a terminal, with highlight.js
 * (core plus the languages models write most; unknown languages stay plain,
 * as guessing is slow and often wrong). highlight.js gives HTML spans; they
 * become SGR colours here, one line at a time.
 */
import hljs from 'highlight.js/lib/core';
import bash from 'highlight.js/lib/languages/bash';
import c from 'highlight.js/lib/languages/c';
import cpp from 'highlight.js/lib/languages/cpp';
import css from 'highlight.js/lib/languages/css';
import diff from 'highlight.js/lib/languages/diff';
import go from 'highlight.js/lib/languages/go';
import java from 'highlight.js/lib/languages/java';
import javascript from 'highlight.js/lib/languages/javascript';
import json from 'highlight.js/lib/languages/json';
import python from 'highlight.js/lib/languages/python';
import rust from 'highlight.js/lib/languages/rust';
import shell from 'highlight.js/lib/languages/shell';
import sql from 'highlight.js/lib/languages/sql';
import typescript from 'highlight.js/lib/languages/typescript';
import xml from 'highlight.js/lib/languages/xml';
import yaml from 'highlight.js/lib/languages/yaml';
import type { MarkdownTheme } from './theme.js';

const LANGUAGES = {
  bash,
  c,
  cpp,
  css,
  diff,
  go,
  java,
  javascript,
  json,
  python,
  rust,
  shell,
  sql,
  typescript,
  xml,
  yaml,
};
for (const [name, language] of Object.entries(LANGUAGES)) hljs.registerLanguage(name, language);

/** highlight.js scopes to SGR foreground colours; a scope not listed takes its parent's. */
const COLORS: Record<string, number> = {
  keyword: 35,
  built_in: 36,
  type: 36,
  literal: 33,
  number: 33,
  string: 32,
  regexp: 32,
  comment: 90,
  doc: 90,
  meta: 90,
  title: 34,
  'title.function': 34,
  'title.class': 36,
  attr: 36,
  attribute: 36,
  property: 36,
  variable: 31,
  params: 39,
  symbol: 33,
  tag: 34,
  name: 34,
  addition: 32,
  deletion: 31,
  section: 35,
};

// The HTML highlight.js emits: spans, and text with &amp; &lt; &gt; &quot; &#x27; escaped.
const HTML = /<span class="hljs-([\w.-]+)[^"]*">|<\/span>|[^<]+/g;
const ENTITIES: Record<string, string> = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#x27;': "'" };

/** `code`'s lines, coloured when `language` is known and the theme has colour. */
export function highlightLines(code: string, language: string | undefined, theme: MarkdownTheme): string[] {
  const name = language?.trim().split(/\s+/)[0]?.toLowerCase();
  if (!theme.color || !name || !hljs.getLanguage(name)) return code.split('\n');
  let html: string;
  try {
    html = hljs.highlight(code, { language: name, ignoreIllegals: true }).value;
  } catch {
    return code.split('\n');
  }
  const lines: string[] = [''];
  const stack: (number | undefined)[] = [];
  for (const [token, scope] of html.matchAll(HTML)) {
    if (scope !== undefined) {
      stack.push(COLORS[scope] ?? COLORS[scope.split('.')[0] ?? ''] ?? stack.at(-1));
    } else if (token === '</span>') {
      stack.pop();
    } else {
      const text = token.replace(/&(?:amp|lt|gt|quot|#x27);/g, (entity) => ENTITIES[entity] ?? entity);
      const color = stack.at(-1);
      text.split('\n').forEach((part, i) => {
        if (i > 0) lines.push('');
        lines[lines.length - 1] += color && color !== 39 ? theme.fg(color, part) : part;
      });
    }
  }
  return lines;
}
