/**
 * Shows one workspace file, read-only, and keeps it current when the agent
 * changes it.
 */
import type { Workspace } from 'qcore';

/** Bytes shown at most; the rest is cut with a note. */
const MAX_PREVIEW_BYTES = 200_000;

export class FilePreview {
  readonly #title: HTMLElement;
  readonly #body: HTMLElement;
  readonly #workspace: Workspace;
  #path: string | undefined;

  constructor(title: HTMLElement, body: HTMLElement, workspace: Workspace) {
    this.#title = title;
    this.#body = body;
    this.#workspace = workspace;
  }

  async show(path: string): Promise<void> {
    this.#path = path;
    this.#title.textContent = path;
    let bytes: Uint8Array;
    try {
      bytes = await this.#workspace.readFile(path);
    } catch (error) {
      if (this.#path === path) this.#body.textContent = error instanceof Error ? error.message : String(error);
      return;
    }
    // A later click may have won the race for the pane.
    if (this.#path !== path) return;
    if (bytes.includes(0)) {
      this.#body.textContent = `(binary file, ${bytes.byteLength} bytes)`;
      return;
    }
    const text = new TextDecoder().decode(bytes.subarray(0, MAX_PREVIEW_BYTES));
    this.#body.textContent =
      bytes.byteLength > MAX_PREVIEW_BYTES ? `${text}\n… (${bytes.byteLength} bytes in all)` : text;
  }

  /** Reads the shown file again; a file that went away clears the pane. */
  async reload(): Promise<void> {
    if (this.#path) await this.show(this.#path);
  }

  clear(): void {
    this.#path = undefined;
    this.#title.textContent = 'Preview';
    this.#body.textContent = 'Click a file to see it here.';
  }
}
