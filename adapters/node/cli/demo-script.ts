/**
 * The scripted model behind `qcore --demo`. Each turn is worked out from the
 * request, as a real model would: list the directory, read the README the
 * listing shows, write a summary built from what was read, then say where.
 */
import { basename, join } from 'node:path';
import type { MockReply, MockRequest, MockTurn } from '../../../testing/script.js';

export const DEMO_PROMPT = 'Look around this project, read its README and write a short summary of it to a file.';
export const DEMO_SUMMARY_FILE = 'qcore-demo-summary.md';

interface WireBlock {
  type: string;
  text?: string;
  id?: string;
  name?: string;
  input?: unknown;
  tool_use_id?: string;
  content?: unknown;
  is_error?: boolean;
}

interface WireMessage {
  role: string;
  content: string | WireBlock[];
}

interface ToolResult {
  name: string;
  text: string;
  isError: boolean;
}

/** The next demo turn for an Anthropic Messages request; `cwd` is the directory the demo works in. */
export function demoTurn(request: MockRequest, cwd: string): MockTurn {
  const messages = wireMessages(request.body);
  const promptIndex = messages.findLastIndex(isPrompt);
  const prompt = promptIndex >= 0 ? textOf(messages[promptIndex]?.content) : '';
  if (!prompt.includes(DEMO_PROMPT)) {
    return reply([
      {
        type: 'text',
        text: "This is the scripted demo, so I can only replay its one task. Set ANTHROPIC_API_KEY (or another provider's key) and run qcore again to talk to a real model.",
      },
    ]);
  }
  const results = toolResults(messages.slice(promptIndex + 1));
  const listing = results.find((result) => result.name === 'ls');
  if (!listing) {
    return reply([
      { type: 'thinking', thinking: 'To summarise the project I should first see what is in the directory.' },
      { type: 'text', text: 'Let me look at the files here first.' },
      { type: 'toolCall', id: 'toolu_demo_ls', name: 'ls', arguments: { path: '.' } },
    ]);
  }

  const entries = listedEntries(listing.text);
  const readme = pickReadme(entries);
  const read = results.find((result) => result.name === 'read');
  if (readme && !read) {
    return reply([
      { type: 'thinking', thinking: `The listing has ${readme}; a README usually says what a project is for.` },
      { type: 'toolCall', id: 'toolu_demo_read', name: 'read', arguments: { path: readme } },
    ]);
  }

  const written = results.find((result) => result.name === 'write');
  if (!written) {
    const content = summary(cwd, entries, readme, read);
    return reply([
      { type: 'thinking', thinking: 'I have enough to write a short summary file.' },
      { type: 'toolCall', id: 'toolu_demo_write', name: 'write', arguments: { path: DEMO_SUMMARY_FILE, content } },
    ]);
  }
  if (written.isError) {
    return reply([{ type: 'text', text: `I could not write the summary: ${written.text}` }]);
  }
  const source = readme ? `read ${readme}` : 'found no README to read';
  return reply([
    {
      type: 'text',
      text: `I listed ${entries.length} entries, ${source}, and wrote a summary to ${join(cwd, DEMO_SUMMARY_FILE)}.`,
    },
  ]);
}

function reply(content: MockReply['content']): MockReply {
  const output = content.reduce((sum, block) => sum + JSON.stringify(block).length, 0);
  return {
    content,
    stopReason: content.some((block) => block.type === 'toolCall') ? 'toolUse' : 'stop',
    usage: { input: 1200, output: Math.ceil(output / 4) },
    // Small deltas, so the replay streams like a real reply.
    deltaSize: 6,
  };
}

function summary(cwd: string, entries: string[], readme: string | undefined, read: ToolResult | undefined): string {
  const lines = [`# ${basename(cwd) || cwd}`, ''];
  lines.push(
    'Written by `qcore --demo`: a scripted model replayed from a local mock server, with no API key and no network.',
    '',
  );
  if (readme && read && !read.isError) {
    const { body, total } = readBody(read.text);
    const heading = body.split('\n').find((line) => /^#{1,6}\s/.test(line));
    lines.push(`- README: ${readme}, ${total} lines`);
    lines.push(`- First heading: ${heading ? heading.replace(/^#+\s*/, '') : '(none)'}`);
  } else {
    lines.push('- README: none found');
  }
  const shown = entries.slice(0, 30);
  const more = entries.length > shown.length ? `, and ${entries.length - shown.length} more` : '';
  lines.push(`- Top-level entries (${entries.length}): ${shown.join(', ')}${more}`, '');
  lines.push(
    'Run qcore with a provider key set (such as ANTHROPIC_API_KEY) to ask a real model about this project.',
    '',
  );
  return lines.join('\n');
}

/** The file text of a read result, and its line count (from the paging note when it was cut short). */
function readBody(text: string): { body: string; total: number } {
  const note = /\n\n\[Showing lines \d+-\d+ of (\d+)[^\]]*\]$/.exec(text);
  const body = note ? text.slice(0, note.index) : text;
  return { body, total: note ? Number(note[1]) : body.split('\n').length };
}

function listedEntries(text: string): string[] {
  const listing = text.split('\n\n[')[0] ?? '';
  if (/^\(.* is empty\)$/.test(listing)) return [];
  return listing.split('\n').filter((line) => line !== '' && line !== DEMO_SUMMARY_FILE);
}

function pickReadme(entries: string[]): string | undefined {
  const files = entries.filter((entry) => !entry.endsWith('/'));
  return (
    files.find((name) => name === 'README.md') ??
    files.find((name) => name.toLowerCase() === 'readme.md') ??
    files.find((name) => /^readme(\.\w+)?$/i.test(name)) ??
    files.find((name) => name.toLowerCase().endsWith('.md'))
  );
}

function wireMessages(body: unknown): WireMessage[] {
  if (typeof body !== 'object' || body === null || !('messages' in body) || !Array.isArray(body.messages)) return [];
  return body.messages.filter(
    (message): message is WireMessage =>
      typeof message === 'object' && message !== null && 'role' in message && 'content' in message,
  );
}

/** A user message the person typed, as opposed to one that carries tool results. */
function isPrompt(message: WireMessage): boolean {
  if (message.role !== 'user') return false;
  return typeof message.content === 'string' || !message.content.some((block) => block.type === 'tool_result');
}

function toolResults(messages: WireMessage[]): ToolResult[] {
  const names = new Map<string, string>();
  const results: ToolResult[] = [];
  for (const message of messages) {
    if (typeof message.content === 'string') continue;
    for (const block of message.content) {
      if (block.type === 'tool_use' && block.id && block.name) names.set(block.id, block.name);
      if (block.type === 'tool_result' && block.tool_use_id) {
        results.push({
          name: names.get(block.tool_use_id) ?? '',
          text: textOf(block.content),
          isError: block.is_error === true,
        });
      }
    }
  }
  return results;
}

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((block: unknown) =>
      typeof block === 'object' && block !== null && 'text' in block && typeof block.text === 'string'
        ? block.text
        : '',
    )
    .join('');
}
