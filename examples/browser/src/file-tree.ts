/**
 * The workspace as a tree, read again whenever the agent may have changed
 * it. Paths the agent just wrote flash briefly.
 */
import type { Workspace, WorkspaceEntry } from 'qcore';

/** Entries shown at most, so a huge tree cannot freeze the page. */
const MAX_ENTRIES = 2_000;

interface TreeNode {
  path: string;
  name: string;
  type: WorkspaceEntry['type'];
  children: TreeNode[];
}

export class FileTree {
  readonly #container: HTMLElement;
  readonly #workspace: Workspace;
  readonly #onOpen: (path: string) => void;
  #selected: string | undefined;
  #running: Promise<void> | undefined;
  #again = false;
  #flash = new Set<string>();

  constructor(container: HTMLElement, workspace: Workspace, onOpen: (path: string) => void) {
    this.#container = container;
    this.#workspace = workspace;
    this.#onOpen = onOpen;
    container.addEventListener('click', (event) => {
      const target = event.target instanceof Element ? event.target.closest<HTMLElement>('[data-type="file"]') : null;
      const path = target?.dataset.path;
      if (!path) return;
      this.#selected = path;
      for (const item of container.querySelectorAll('.selected')) item.classList.remove('selected');
      target.classList.add('selected');
      this.#onOpen(path);
    });
  }

  /**
   * Reads the tree again. Calls during a refresh are folded into one more
   * refresh after it, so a burst of tool calls costs two reads, not one each.
   */
  refresh(changed: readonly string[] = []): Promise<void> {
    for (const path of changed) this.#flash.add(path);
    if (this.#running) {
      this.#again = true;
      return this.#running;
    }
    this.#running = (async () => {
      try {
        do {
          this.#again = false;
          const budget = { left: MAX_ENTRIES };
          const nodes = await this.#read('.', budget);
          this.#render(nodes, budget.left <= 0);
        } while (this.#again);
      } finally {
        this.#running = undefined;
      }
    })();
    return this.#running;
  }

  async #read(dir: string, budget: { left: number }): Promise<TreeNode[]> {
    let entries: WorkspaceEntry[];
    try {
      entries = await this.#workspace.readdir(dir);
    } catch {
      return [];
    }
    const sorted = [...entries].sort(
      (a, b) => Number(b.type === 'dir') - Number(a.type === 'dir') || a.name.localeCompare(b.name),
    );
    const nodes: TreeNode[] = [];
    for (const entry of sorted) {
      if (budget.left-- <= 0) break;
      const path = dir === '.' ? entry.name : `${dir}/${entry.name}`;
      const children = entry.type === 'dir' ? await this.#read(path, budget) : [];
      nodes.push({ path, name: entry.name, type: entry.type, children });
    }
    return nodes;
  }

  #render(nodes: TreeNode[], capped: boolean): void {
    if (nodes.length === 0) {
      const empty = document.createElement('p');
      empty.className = 'empty';
      empty.textContent = 'No files yet. Load the sample project, or ask the agent to write some.';
      this.#container.replaceChildren(empty);
      return;
    }
    const list = this.#list(nodes);
    if (capped) {
      const note = document.createElement('p');
      note.className = 'empty';
      note.textContent = `Showing the first ${MAX_ENTRIES} entries.`;
      this.#container.replaceChildren(list, note);
    } else {
      this.#container.replaceChildren(list);
    }
    this.#flash.clear();
  }

  #list(nodes: TreeNode[]): HTMLUListElement {
    const list = document.createElement('ul');
    for (const node of nodes) {
      const item = document.createElement('li');
      item.dataset.path = node.path;
      item.dataset.type = node.type;
      // Files are buttons, so they open from the keyboard too.
      const label = document.createElement(node.type === 'file' ? 'button' : 'span');
      if (label instanceof HTMLButtonElement) label.type = 'button';
      label.className = 'entry';
      label.textContent = node.type === 'dir' ? `${node.name}/` : node.name;
      if (node.type === 'symlink') label.title = 'symlink';
      item.append(label);
      if (this.#flash.has(node.path)) item.classList.add('changed');
      if (node.path === this.#selected) item.classList.add('selected');
      if (node.children.length > 0) item.append(this.#list(node.children));
      list.append(item);
    }
    return list;
  }
}
