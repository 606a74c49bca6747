import type { AgentTool, AgentToolResult, ToolExecutionContext } from '../../src/agent/types.js';

/** Validates then executes, as the agent does. */
export async function runTool<TArgs, TDetails>(
  tool: AgentTool<TArgs, TDetails>,
  args: unknown,
  context: Partial<ToolExecutionContext<TDetails>> = {},
): Promise<AgentToolResult<TDetails>> {
  if (!tool.validate) throw new Error(`tool ${tool.name} has no validate`);
  const validation = await tool.validate(args);
  if (!validation.ok) throw new Error(`invalid arguments: ${validation.error}`);
  return tool.execute(validation.value, {
    toolCallId: 't',
    signal: new AbortController().signal,
    onUpdate: () => {},
    ...context,
  });
}

/** The text parts of a result, joined. */
export function textOf(result: AgentToolResult<unknown>): string {
  return result.content.map((part) => (part.type === 'text' ? part.text : '')).join('');
}

/** What the tool's `validate` says about arguments. */
export async function validationError(tool: AgentTool<unknown, unknown>, args: unknown): Promise<string | undefined> {
  if (!tool.validate) throw new Error(`tool ${tool.name} has no validate`);
  const validation = await tool.validate(args);
  return validation.ok ? undefined : validation.error;
}

export const ESCAPES = ['../etc/passwd', '/etc/passwd', 'a/../../x', '/workspace/../etc/passwd'];
