/**
 * The History card: the saved chats, most recently updated first, each with
 * its title and when it was last written to. Clicking one opens it. The
 * chats come from IndexedDB when the agent runs in the page, and from the
 * Worker's `GET /sessions` when it runs there.
 */

/** One chat in the list: what a `SessionStore`'s `list()` and a Worker's `GET /sessions` both give. */
export interface HistoryEntry {
  id: string;
  title: string;
  /** ISO 8601. */
  updatedAt: string;
  messageCount: number;
}

export class HistoryList {
  readonly #list: HTMLElement;
  readonly #read: () => Promise<HistoryEntry[]>;
  readonly #onOpen: (id: string) => void;
  /** Only the latest refresh draws: an older one may finish after it. */
  #generation = 0;

  /** `read` lists the chats of wherever the agent runs now. */
  constructor(list: HTMLElement, read: () => Promise<HistoryEntry[]>, onOpen: (id: string) => void) {
    this.#list = list;
    this.#read = read;
    this.#onOpen = onOpen;
  }

  /** Reads the list again; `currentId` is marked as the chat on screen. */
  async refresh(currentId: string): Promise<void> {
    const generation = ++this.#generation;
    let sessions: HistoryEntry[];
    try {
      sessions = await this.#read();
    } catch (error) {
      if (generation === this.#generation) {
        this.#list.replaceChildren(paragraph('empty', `Could not read the saved chats: ${messageOf(error)}`));
      }
      return;
    }
    if (generation !== this.#generation) return;
    if (sessions.length === 0) {
      this.#list.replaceChildren(paragraph('empty', 'No saved chats yet.'));
      return;
    }
    const list = document.createElement('ol');
    for (const session of sessions) list.append(this.#item(session, session.id === currentId));
    this.#list.replaceChildren(list);
  }

  #item(session: HistoryEntry, current: boolean): HTMLElement {
    const item = document.createElement('li');
    item.dataset.sessionId = session.id;
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'entry';
    if (current) {
      item.classList.add('current');
      button.setAttribute('aria-current', 'true');
    }
    const title = document.createElement('span');
    title.className = 'title';
    title.textContent = session.title || 'Untitled chat';
    const time = document.createElement('time');
    time.dateTime = session.updatedAt;
    const count = session.messageCount;
    time.textContent = `${whenText(session.updatedAt)} · ${count} ${count === 1 ? 'message' : 'messages'}`;
    button.append(title, time);
    button.addEventListener('click', () => this.#onOpen(session.id));
    item.append(button);
    return item;
  }
}

/** The time alone for today, the date and time otherwise. */
function whenText(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  const today = date.toDateString() === new Date().toDateString();
  return today
    ? date.toLocaleTimeString(undefined, { timeStyle: 'short' })
    : date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

function paragraph(className: string, text: string): HTMLElement {
  const node = document.createElement('p');
  node.className = className;
  node.textContent = text;
  return node;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
