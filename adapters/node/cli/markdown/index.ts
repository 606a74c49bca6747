/**
 * Markdown for the terminal: `marked` lexes it, `highlight.js` colours code,
 * `string-width` measures table cells. Used only by the CLI (bundled into
 * dist/cli.js), never by `src/`.
 *
 * - `stream.ts`: rendering as the text streams in, block by block
 * - `blocks.ts`: one block as lines; `inline.ts`: emphasis, code, links
 * - `table.ts`: tables by display width; `highlight.ts`: code colours
 * - `theme.ts`: the SGR styles, or none without colour
 */
export { MarkdownStream, renderMarkdown } from './stream.js';
export { markdownTheme } from './theme.js';
