/**
 * `qcore --resume`: this directory's sessions, newest first, as a numbered
 * list (time, first prompt, message count) to choose from; and the last
 * exchanges of a resumed session, shown before its first prompt.
 */
import type { AgentMessage } from '../../../src/agent/types.js';
import type { SessionInfo } from '../../../src/session/types.js';
import type { JsonlSessionStore } from '../jsonl-session-store.js';
import { assistantText, terminalSafe, truncate } from './render.js';
import type { Style } from './style.js';

/** Sessions offered at most: older ones are reached with `--session FILE`. */
export const PICKER_LIMIT = 20;

export interface SessionChoice extends SessionInfo {
  path: string;
}

/** This directory's sessions (by their header's `cwd`), newest first, at most `PICKER_LIMIT`. */
export async function sessionsFor(store: JsonlSessionStore, cwd: string): Promise<SessionChoice[]> {
  const choices: SessionChoice[] = [];
  for (const info of await store.list()) {
    if (choices.length >= PICKER_LIMIT) break;
    if ((await store.readHeader(info.id))?.cwd !== cwd) continue;
    choices.push({ ...info, path: store.pathOf(info.id) });
  }
  return choices;
}

/** The numbered list, one line a session: `1  2026-12-06 10:31  Fix the login bug…  24 messages`. */
export function pickerLines(choices: readonly SessionChoice[], style: Style, columns = 80): string[] {
  return choices.map((choice, index) => {
    const when = choice.updatedAt.slice(0, 16).replace('T', ' ');
    const count = `${choice.messageCount} ${choice.messageCount === 1 ? 'message' : 'messages'}`;
    const number = String(index + 1).padStart(2);
    const room = Math.max(10, columns - number.length - when.length - count.length - 8);
    const title = terminalSafe(truncate(choice.title || '(no prompt yet)', room));
    return `${style.bold(number)}  ${style.dim(when)}  ${title}  ${style.dim(count)}`;
  });
}

/**
 * What the user typed at the picker: a session, `undefined` to start a new
 * conversation (empty line or `n`), or an error message for anything else.
 */
export function parsePick(answer: string, choices: readonly SessionChoice[]): SessionChoice | undefined | string {
  const text = answer.trim().toLowerCase();
  if (text === '' || text === 'n' || text === 'new') return undefined;
  const index = Number(text);
  if (!Number.isInteger(index) || index < 1 || index > choices.length) {
    return `choose a number from 1 to ${choices.length}, or press Enter for a new conversation`;
  }
  return choices[index - 1];
}

/**
 * The last `count` exchanges of a history, each the prompt and the reply's
 * text cut to a few lines, so a resumed session shows where it stopped.
 */
export function lastExchanges(messages: readonly AgentMessage[], style: Style, count = 2): string[] {
  const starts: number[] = [];
  for (let i = messages.length - 1; i >= 0 && starts.length < count; i--) {
    const message = messages[i] as AgentMessage;
    if (message.role === 'user' && typeof promptText(message) === 'string') starts.unshift(i);
  }
  const lines: string[] = [];
  for (const [n, start] of starts.entries()) {
    const end = starts[n + 1] ?? messages.length;
    const prompt = promptText(messages[start] as AgentMessage) ?? '';
    lines.push(`${style.dim('›')} ${terminalSafe(truncate(firstLines(prompt, 2), 300))}`);
    let reply = '';
    for (let i = start + 1; i < end; i++) {
      const message = messages[i] as AgentMessage;
      if (message.role === 'assistant') {
        const text = assistantText(message).trim();
        if (text) reply = text;
      }
    }
    if (reply) lines.push(style.dim(terminalSafe(truncate(firstLines(reply, 4), 600))));
  }
  return lines;
}

function promptText(message: AgentMessage): string | undefined {
  if (message.role !== 'user') return undefined;
  if (typeof message.content === 'string') return message.content;
  return message.content.map((part) => (part.type === 'text' ? part.text : '[image]')).join(' ');
}

function firstLines(text: string, count: number): string {
  const lines = text.split('\n');
  return lines.length > count ? `${lines.slice(0, count).join('\n')}\n…` : text;
}
