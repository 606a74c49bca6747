/**
 * The title `SessionStore.list()` shows for a session: the start of its
 * first user message, on one line.
 */
import { isRecord } from './message-problem.js';

/** Titles are cut to this many characters, the ellipsis included. */
export const SESSION_TITLE_LENGTH = 80;

/**
 * The title for a session whose first user message is `message`: its text
 * (text parts joined by spaces) with runs of whitespace made one space, cut
 * to `SESSION_TITLE_LENGTH` characters. `''` for anything that is not a user
 * message with text.
 */
export function sessionTitle(message: unknown): string {
  if (!isRecord(message) || message.role !== 'user') return '';
  const { content } = message;
  let text = '';
  if (typeof content === 'string') text = content;
  else if (Array.isArray(content)) {
    text = content
      .map((part) => (isRecord(part) && part.type === 'text' && typeof part.text === 'string' ? part.text : ''))
      .filter(Boolean)
      .join(' ');
  }
  // Word by word, stopping once the title is full: a pasted file is never scanned to its end.
  const words = /\S+/g;
  let line = '';
  for (let match = words.exec(text); match; match = words.exec(text)) {
    // Bounded in UTF-16 units; that is still more than enough code points.
    line = `${line}${line ? ' ' : ''}${match[0]}`.slice(0, 2 * SESSION_TITLE_LENGTH + 2);
    if (line.length > SESSION_TITLE_LENGTH && Array.from(line).length > SESSION_TITLE_LENGTH) break;
  }
  // By code points, so that an emoji is never cut in half.
  const chars = Array.from(line);
  return chars.length <= SESSION_TITLE_LENGTH ? line : `${chars.slice(0, SESSION_TITLE_LENGTH - 1).join('')}…`;
}
