/**
 * The agent's `beforeToolCall` and `afterToolCall` for the CLI: PreToolUse
 * hooks first (they may block, decide or rewrite the arguments), then the
 * rules and the approval mode, then, when those say ask, the user, in
 * process, while the run waits. With no way to ask (print mode without a
 * terminal) what would be asked is refused, and the model is told how the
 * user could allow it. Also runs the UserPromptSubmit and Stop hooks for the
 * modes that send prompts.
 */
import type {
  AfterToolCallContext,
  AfterToolCallResult,
  AgentTool,
  BeforeToolCallContext,
} from '../../../../src/agent/types.js';
import type { ApprovalRequest, Ask } from './asking.js';
import { describeFailure, type HookRunner, parseFeedbackOutput, parsePreToolUseOutput } from './hooks.js';
import type { Decision, PermissionPolicy } from './policy.js';

/** `write` and `edit` offer this on their returned objects: the unified diff a call would make. */
type Previewing = { preview?: (args: unknown) => Promise<string | undefined> };

type Verdict = { block: true; reason: string } | undefined;

/** Stop hooks that block may send the model back to work this many times per prompt. */
export const MAX_STOP_CONTINUATIONS = 3;

export class ToolGate {
  /** Set by a terminal that can ask; unset, nothing is asked and what would be is refused. */
  ask: Ask | undefined;

  constructor(
    private readonly policy: PermissionPolicy,
    private readonly hooks: HookRunner,
    private readonly warn: (message: string) => void,
  ) {}

  readonly beforeToolCall = async (context: BeforeToolCallContext): Promise<Verdict> => {
    const { tool } = context;
    const args = context.args;
    let hookDecision: 'allow' | 'ask' | undefined;
    let hookReason: string | undefined;
    if (this.hooks.has('PreToolUse')) {
      const outcomes = await this.hooks.run('PreToolUse', { tool_name: tool.name, tool_input: args }, tool.name);
      for (const outcome of outcomes) {
        if (outcome.exitCode === 2) {
          return block(outcome.stderr.trim() || `a PreToolUse hook (${outcome.command}) refused it`);
        }
        if (outcome.exitCode !== 0) {
          this.warn(describeFailure('PreToolUse', outcome));
          continue;
        }
        const output = parsePreToolUseOutput(outcome.stdout);
        if (!output) continue;
        if (output.updatedInput) {
          const problem = await replaceArgs(tool, args, output.updatedInput);
          if (problem) return block(`a PreToolUse hook rewrote the arguments into invalid ones: ${problem}`);
        }
        if (output.decision === 'deny') return block(output.reason ?? 'denied by a PreToolUse hook');
        if (output.decision === 'ask' || (output.decision === 'allow' && hookDecision === undefined)) {
          hookDecision = output.decision;
          hookReason = output.reason;
        }
      }
    }
    const decision = this.policy.decide(tool.name, args);
    if (decision.kind === 'deny') return block(decision.reason);
    if (hookDecision === 'allow' || (decision.kind === 'allow' && hookDecision !== 'ask')) {
      this.policy.touch(tool.name, args);
      return undefined;
    }
    const asked: Decision = decision.kind === 'ask' ? decision : { kind: 'ask' };
    return this.askUser(tool, args, asked, hookReason);
  };

  readonly afterToolCall = async (context: AfterToolCallContext): Promise<AfterToolCallResult> => {
    if (!this.hooks.has('PostToolUse')) return undefined;
    const name = context.toolCall.name;
    const text = context.result.content.map((block) => (block.type === 'text' ? block.text : '')).join('');
    const outcomes = await this.hooks.run(
      'PostToolUse',
      { tool_name: name, tool_input: context.args, tool_response: { text, is_error: context.isError } },
      name,
    );
    const notes: string[] = [];
    for (const outcome of outcomes) {
      if (outcome.exitCode === 2 && outcome.stderr.trim()) notes.push(`PostToolUse hook: ${outcome.stderr.trim()}`);
      else if (outcome.exitCode !== 0 && outcome.exitCode !== 2) this.warn(describeFailure('PostToolUse', outcome));
      else if (outcome.exitCode === 0) {
        const output = parseFeedbackOutput(outcome.stdout, false);
        if (output.block) notes.push(`PostToolUse hook: ${output.block}`);
        if (output.context) notes.push(output.context);
      }
    }
    if (notes.length === 0) return undefined;
    return { content: [...context.result.content, { type: 'text', text: notes.join('\n') }] };
  };

  /**
   * Runs the UserPromptSubmit hooks: the prompt to send, with the context
   * they added (their plain stdout, or `additionalContext`) after it, or why
   * one blocked it (exit 2 with stderr, or `decision: "block"`).
   */
  async preparePrompt(prompt: string): Promise<{ blocked: string } | { text: string }> {
    if (!this.hooks.has('UserPromptSubmit')) return { text: prompt };
    const context: string[] = [];
    for (const outcome of await this.hooks.run('UserPromptSubmit', { prompt })) {
      if (outcome.exitCode === 2) {
        return { blocked: outcome.stderr.trim() || `a UserPromptSubmit hook (${outcome.command}) blocked it` };
      }
      if (outcome.exitCode !== 0) {
        this.warn(describeFailure('UserPromptSubmit', outcome));
        continue;
      }
      const output = parseFeedbackOutput(outcome.stdout, true);
      if (output.block) return { blocked: output.block };
      if (output.context) context.push(output.context);
    }
    if (context.length === 0) return { text: prompt };
    return { text: `${prompt}\n\n<user-prompt-submit-hook>\n${context.join('\n')}\n</user-prompt-submit-hook>` };
  }

  /** Runs the Stop hooks when the agent is done; returns what to tell the model if one says go on. */
  async stopBlocked(continuations: number): Promise<string | undefined> {
    if (!this.hooks.has('Stop') || continuations >= MAX_STOP_CONTINUATIONS) return undefined;
    for (const outcome of await this.hooks.run('Stop', { stop_hook_active: continuations > 0 })) {
      if (outcome.exitCode === 2 && outcome.stderr.trim()) return outcome.stderr.trim();
      if (outcome.exitCode !== 0 && outcome.exitCode !== 2) this.warn(describeFailure('Stop', outcome));
    }
    return undefined;
  }

  private async askUser(tool: AgentTool, args: unknown, decision: Decision, hookReason?: string): Promise<Verdict> {
    if (!this.ask) {
      return block(
        `not allowed without approval in print mode; allow it with --approval yolo or a rule "${this.policy.suggestRule(tool.name, args)}"`,
      );
    }
    const request: ApprovalRequest = { tool: tool.name, summary: summarize(tool.name, args) };
    const why = hookReason ?? (decision.kind === 'ask' ? decision.why : undefined);
    if (why) request.why = why;
    if (decision.kind === 'ask' && decision.prefixRules) request.prefixRules = decision.prefixRules;
    const preview = (tool as AgentTool & Previewing).preview;
    if (preview) {
      try {
        const diff = await preview(args);
        if (diff) request.diff = diff;
      } catch {
        // The call will fail the same way and say why; ask without a diff.
      }
    }
    const answer = await this.ask(request);
    if (answer.kind === 'no') {
      return block(`the user denied this call${answer.reason ? `: ${answer.reason}` : ''}`);
    }
    if (answer.kind === 'prefix') for (const rule of request.prefixRules ?? []) this.policy.allowForSession(rule);
    if (answer.kind === 'session') this.policy.allowToolForSession(tool.name);
    this.policy.touch(tool.name, args);
    return undefined;
  }
}

function block(reason: string): Verdict {
  return { block: true, reason };
}

function summarize(tool: string, args: unknown): string {
  const record = (typeof args === 'object' && args !== null ? args : {}) as Record<string, unknown>;
  if (tool === 'bash' && typeof record.command === 'string') return record.command;
  if (typeof record.path === 'string') return record.path;
  const json = JSON.stringify(args) ?? '';
  return json.length > 200 ? `${json.slice(0, 200)}…` : json;
}

/**
 * Puts a hook's `updatedInput` in place of the call's arguments, once the
 * tool's own validation accepts it. The agent runs the tool with the object
 * it gave `beforeToolCall`, so that object is changed in place.
 */
async function replaceArgs(
  tool: AgentTool,
  args: unknown,
  updated: Record<string, unknown>,
): Promise<string | undefined> {
  let value: unknown = updated;
  if (tool.validate) {
    const checked = await tool.validate(updated);
    if (!checked.ok) return checked.error;
    value = checked.value;
  }
  if (typeof args !== 'object' || args === null) return 'the call had no arguments object to replace';
  const target = args as Record<string, unknown>;
  for (const key of Object.keys(target)) delete target[key];
  Object.assign(target, value);
  return undefined;
}
