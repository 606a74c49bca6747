/**
 * An MCP server's tools as `AgentTool`s: their names (`mcp__<server>__<tool>`,
 * within what every provider accepts), their arguments checked against the
 * tool's JSON Schema before each call, and their results mapped to
 * tool-result content. A failure of any kind is a result the model reads,
 * never a throw.
 */
import type { AgentTool, AgentToolResult } from '../agent/types.js';
import { clipText } from '../ai/redact.js';
import type { ImageContent, JsonSchema, TextContent } from '../ai/types.js';
import { validateJsonSchema } from '../tools/json-schema-validate.js';

/** A tool as `tools/list` describes it (the fields qcore reads). */
export interface McpToolInfo {
  name: string;
  title?: string;
  description?: string;
  inputSchema?: JsonSchema;
}

/** What `tools/call` answers (the fields qcore reads). */
export interface McpCallToolResult {
  content?: unknown[];
  structuredContent?: unknown;
  isError?: boolean;
}

/** A progress notification's fields. */
export interface McpProgress {
  progress: number;
  total?: number;
  message?: string;
}

/** Sends `tools/call`; rejects on a JSON-RPC error, a timeout, an abort or a lost connection. */
export type McpCallTool = (
  tool: string,
  args: Record<string, unknown>,
  options: { signal: AbortSignal; onProgress: (progress: McpProgress) => void },
) => Promise<McpCallToolResult>;

/** What an MCP tool's result carries for UIs and logs. */
export interface McpToolDetails {
  server: string;
  tool: string;
  structuredContent?: unknown;
}

/** Tool names providers accept: at most 64 characters from `[A-Za-z0-9_-]`. */
export const MAX_TOOL_NAME_CHARS = 64;
/** A tool description longer than this is cut: it is sent with every request. */
export const MAX_DESCRIPTION_CHARS = 4_096;

/** 32-bit FNV-1a of `text`'s UTF-16 code units, as 6 hex characters: short and stable, not a secret. */
export function shortHash(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0).toString(16).padStart(8, '0').slice(0, 6);
}

/** `mcp__<server>__<tool>` with other characters made `_` and a letter first; not yet cut or suffixed. */
function plainName(server: string, tool: string): string {
  const name = `mcp__${server}__${tool}`.replace(/[^A-Za-z0-9_-]/g, '_');
  return /^[A-Za-z]/.test(name) ? name : `m${name}`;
}

function withHash(name: string, original: string): string {
  return `${name.slice(0, MAX_TOOL_NAME_CHARS - 7)}_${shortHash(original)}`;
}

/**
 * The agent-side names of one server's tools, in order: `mcp__<server>__<tool>`
 * with other characters made `_`, starting with a letter. A name past 64
 * characters is cut and ends in `_` and a hash of the full original name;
 * names that would be the same all get that suffix, so a name does not
 * depend on the order of the list.
 */
export function mcpToolNames(server: string, tools: readonly string[]): string[] {
  const plain = tools.map((tool) => plainName(server, tool));
  const counts = new Map<string, number>();
  for (const name of plain) counts.set(name, (counts.get(name) ?? 0) + 1);
  const names = plain.map((name, i) =>
    name.length > MAX_TOOL_NAME_CHARS || (counts.get(name) ?? 0) > 1
      ? withHash(name, `mcp__${server}__${tools[i]}`)
      : name,
  );
  // A hash collision (or a plain name that looks like a suffixed one): number the later ones.
  const seen = new Set<string>();
  return names.map((name) => {
    let unique = name;
    for (let n = 2; seen.has(unique); n++) unique = `${name.slice(0, MAX_TOOL_NAME_CHARS - 1 - String(n).length)}_${n}`;
    seen.add(unique);
    return unique;
  });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(value: string): TextContent {
  return { type: 'text', text: value };
}

/** One MCP content block as tool-result content. */
function toContent(block: unknown): TextContent | ImageContent {
  if (!isRecord(block)) return text('[invalid content block]');
  switch (block.type) {
    case 'text':
      return text(String(block.text ?? ''));
    case 'image':
      if (typeof block.data === 'string' && typeof block.mimeType === 'string') {
        return { type: 'image', data: block.data, mimeType: block.mimeType };
      }
      return text('[invalid image content]');
    case 'resource': {
      const resource = isRecord(block.resource) ? block.resource : {};
      if (typeof resource.text === 'string') return text(resource.text);
      const type = typeof resource.mimeType === 'string' ? ` (${resource.mimeType})` : '';
      return text(`[resource ${String(resource.uri ?? '')}${type}]`);
    }
    case 'resource_link': {
      const type = typeof block.mimeType === 'string' ? ` (${block.mimeType})` : '';
      const name = typeof block.name === 'string' ? `${block.name}: ` : '';
      return text(`[resource link] ${name}${String(block.uri ?? '')}${type}`);
    }
    case 'audio':
      return text(`[audio${typeof block.mimeType === 'string' ? ` (${block.mimeType})` : ''}]`);
    default:
      return text(`[unsupported content type ${JSON.stringify(String(block.type))}]`);
  }
}

/**
 * A `tools/call` result as a tool result: text, images, embedded resources
 * (their text, or a `[resource uri (type)]` line for binary ones) and
 * resource links; `structuredContent` as JSON text when there is no content.
 */
export function mcpResultToToolResult(
  result: McpCallToolResult,
  details: Omit<McpToolDetails, 'structuredContent'>,
): AgentToolResult<McpToolDetails> {
  const blocks = Array.isArray(result.content) ? result.content : [];
  const content = blocks.map(toContent);
  if (content.length === 0 && result.structuredContent !== undefined) {
    content.push(text(JSON.stringify(result.structuredContent)));
  }
  if (content.length === 0) content.push(text('(no output)'));
  const out: AgentToolResult<McpToolDetails> = { content, details: { ...details } };
  if (result.structuredContent !== undefined) out.details = { ...details, structuredContent: result.structuredContent };
  if (result.isError === true) out.isError = true;
  return out;
}

/** `progress 3/10: message`, `progress 3`. */
export function progressText({ progress, total, message }: McpProgress): string {
  return `progress ${progress}${typeof total === 'number' ? `/${total}` : ''}${message ? `: ${message}` : ''}`;
}

/** One MCP tool as an `AgentTool` named `name` (from `mcpToolNames`). */
export function mcpToolToAgentTool(
  server: string,
  name: string,
  info: McpToolInfo,
  callTool: McpCallTool,
): AgentTool<Record<string, unknown>, McpToolDetails> {
  const schema: JsonSchema = isRecord(info.inputSchema) ? info.inputSchema : { type: 'object' };
  const details = { server, tool: info.name };
  return {
    name,
    description: clipText(info.description ?? info.title ?? info.name, MAX_DESCRIPTION_CHARS),
    parameters: schema,
    validate: (args) => validateJsonSchema(schema, args),
    execute: async (args, { signal, onUpdate }) => {
      try {
        const result = await callTool(info.name, args, {
          signal,
          onProgress: (progress) => onUpdate({ content: [text(progressText(progress))], details }),
        });
        return mcpResultToToolResult(result, details);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        return { content: [text(message)], details, isError: true };
      }
    },
  };
}
