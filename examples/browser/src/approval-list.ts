/**
 * The calls a Worker's run holds for approval, above the composer: each with
 * its tool, its main argument and the hook's reason, and Approve / Deny.
 * The run goes on once every held call has an answer; until then the answered
 * ones leave the list. Tool names, arguments and reasons come from the model
 * and the Worker, so they are written as text only.
 */
import type { PendingApproval } from 'qcore';
import { describeArgs } from './chat-view.js';

export interface ApprovalAnswers {
  approve(toolCallId: string): Promise<void>;
  deny(toolCallId: string): Promise<void>;
}

export class ApprovalList {
  readonly #root: HTMLElement;

  constructor(root: HTMLElement) {
    this.#root = root;
  }

  /** Shows these calls, replacing what was shown; none hides the list. */
  show(calls: readonly PendingApproval[], answers: ApprovalAnswers): void {
    this.#root.replaceChildren(...calls.map((call) => this.#item(call, answers)));
    this.#root.hidden = calls.length === 0;
  }

  clear(): void {
    this.#root.replaceChildren();
    this.#root.hidden = true;
  }

  #item(call: PendingApproval, answers: ApprovalAnswers): HTMLElement {
    const item = document.createElement('div');
    item.className = 'approval';
    item.dataset.toolCallId = call.toolCallId;
    const what = document.createElement('span');
    what.className = 'what';
    const name = document.createElement('span');
    name.className = 'name';
    name.textContent = call.toolName;
    const args = describeArgs(call.args);
    what.append(name, args ? ` ${args}` : '');
    const reason = document.createElement('span');
    reason.className = 'reason';
    reason.textContent = call.reason ? `waits for approval: ${call.reason}` : 'waits for approval';
    const buttons = document.createElement('span');
    buttons.className = 'answer';
    const approve = button('Approve', 'approve primary');
    const deny = button('Deny', 'deny');
    const answer = async (send: (toolCallId: string) => Promise<void>) => {
      approve.disabled = true;
      deny.disabled = true;
      try {
        await send(call.toolCallId);
        item.remove();
        if (this.#root.childElementCount === 0) this.#root.hidden = true;
      } catch {
        // Told in the chat by whoever sent it; the call can be answered again.
        approve.disabled = false;
        deny.disabled = false;
      }
    };
    approve.addEventListener('click', () => void answer((id) => answers.approve(id)));
    deny.addEventListener('click', () => void answer((id) => answers.deny(id)));
    buttons.append(approve, deny);
    item.append(what, reason, buttons);
    return item;
  }
}

function button(text: string, className: string): HTMLButtonElement {
  const node = document.createElement('button');
  node.type = 'button';
  node.className = className;
  node.textContent = text;
  return node;
}
