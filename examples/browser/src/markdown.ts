/**
 * The assistant's markdown as HTML, made safe: `marked` turns it into HTML,
 * DOMPurify removes everything that could run (scripts, event handlers,
 * `javascript:` links, iframes, forms). Model output is untrusted: nothing
 * reaches the page without passing through `sanitize`.
 *
 * Sizes added to the example, minified and gzipped: marked 15.3 KB,
 * dompurify 12.0 KB.
 */
import DOMPurify from 'dompurify';
import { Marked } from 'marked';

const marked = new Marked({ gfm: true, breaks: false, async: false });

// Links open in a new tab, without giving that tab a handle on this one.
DOMPurify.addHook('afterSanitizeAttributes', (node) => {
  if (node.tagName === 'A' && node.hasAttribute('href')) {
    node.setAttribute('target', '_blank');
    node.setAttribute('rel', 'noopener noreferrer');
  }
});

/** Sanitised HTML for `markdown`, as a fragment to put in the page. */
export function renderMarkdown(markdown: string): DocumentFragment {
  const html = marked.parse(markdown) as string;
  return DOMPurify.sanitize(html, {
    RETURN_DOM_FRAGMENT: true,
    FORBID_TAGS: ['style', 'form', 'input', 'button', 'textarea', 'select'],
    ADD_ATTR: ['target'],
  });
}
