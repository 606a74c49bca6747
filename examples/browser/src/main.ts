/**
 * A page for chatting with a qcore agent whose files live in IndexedDB.
 * The agent, the coding tools and the filesystem all run in this tab; the
 * only request that leaves it is the model call, to the provider or to the
 * base URL in the settings.
 */
import { Agent, type AgentEvent, createCodingTools, resolveWorkspacePath, stream } from 'qcore';
import { LightningFsWorkspace } from 'qcore/browser';
import { ChatView } from './chat-view.js';
import { FilePreview } from './file-preview.js';
import { FileTree } from './file-tree.js';
import { loadSampleProject } from './sample-project.js';
import { buildModel, loadSettings, missingSetup } from './settings.js';
import { bindSettingsPanel } from './settings-panel.js';

const WORKSPACE_NAME = 'qcore-browser-example';
const SEEDED_KEY = 'qcore-example:seeded';

function $<T extends HTMLElement>(selector: string, type: new () => T): T {
  const found = document.querySelector(selector);
  if (!(found instanceof type)) throw new Error(`The page has no ${selector}`);
  return found;
}

function localStorageOrUndefined(): Storage | undefined {
  try {
    return window.localStorage;
  } catch {
    return undefined;
  }
}

const storage = localStorageOrUndefined();
const settings = loadSettings(storage);
const workspace = new LightningFsWorkspace(WORKSPACE_NAME);

const status = $('#status', HTMLElement);
const settingsPanel = $('#settings-panel', HTMLDetailsElement);
const promptInput = $('#prompt', HTMLTextAreaElement);
const sendButton = $('#send', HTMLButtonElement);
const stopButton = $('#stop', HTMLButtonElement);

const chat = new ChatView($('#chat-log', HTMLElement));
const preview = new FilePreview($('#preview-title', HTMLElement), $('#preview-body', HTMLElement), workspace);
const tree = new FileTree($('#file-tree', HTMLElement), workspace, (path) => void preview.show(path));

const agent = new Agent({
  model: buildModel(settings),
  systemPrompt: [
    `You are a coding agent. The project's files live in a virtual filesystem in the user's browser, rooted at ${workspace.root}.`,
    'Use the tools to read, search, edit and write them. There is no shell: you cannot run commands, install packages or run tests.',
    'Keep answers short, and say which files you changed.',
  ].join('\n'),
  tools: createCodingTools(workspace),
  // Read on every call, so a key typed in the settings takes effect on the next turn.
  getApiKey: () => settings.apiKey || undefined,
  streamFn: (model, context, options) => stream(model, context, { ...options, reasoning: settings.thinking }),
});

agent.subscribe((event) => {
  chat.handle(event);
  if (event.type === 'tool_execution_end') {
    void tree.refresh(writtenPaths(event));
    void preview.reload();
  }
});

/** What a write or edit call changed, to flash in the tree. */
function writtenPaths(event: Extract<AgentEvent, { type: 'tool_execution_end' }>): string[] {
  if (event.isError || (event.toolName !== 'write' && event.toolName !== 'edit')) return [];
  const args = event.args;
  if (typeof args !== 'object' || args === null || !('path' in args) || typeof args.path !== 'string') return [];
  try {
    return [resolveWorkspacePath(workspace.root, args.path)];
  } catch {
    return [];
  }
}

function showStatus(): void {
  const model = buildModel(settings);
  const key = settings.apiKey ? (settings.rememberKey ? 'key remembered' : 'key in memory') : 'no key';
  const where = settings.baseUrl ? ` via ${settings.baseUrl}` : '';
  const state = agent.state.isStreaming ? 'Working…' : 'Ready';
  status.textContent = `${state} · ${model.name}${where} · ${key}`;
}

function setRunning(running: boolean): void {
  sendButton.disabled = running;
  stopButton.disabled = !running;
  document.body.classList.toggle('running', running);
  showStatus();
}

async function send(): Promise<void> {
  const text = promptInput.value.trim();
  if (!text || agent.state.isStreaming) return;
  const problem = missingSetup(settings);
  if (problem) {
    chat.notice(problem, 'error');
    settingsPanel.open = true;
    return;
  }
  agent.setModel(buildModel(settings));
  promptInput.value = '';
  setRunning(true);
  try {
    await agent.prompt(text);
  } finally {
    setRunning(false);
    void tree.refresh();
  }
}

$('#composer', HTMLFormElement).addEventListener('submit', (event) => {
  event.preventDefault();
  void send();
});
promptInput.addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    void send();
  }
});
stopButton.addEventListener('click', () => agent.abort());
$('#new-chat', HTMLButtonElement).addEventListener('click', () => {
  agent.reset();
  chat.clear();
  setRunning(false);
});
$('#load-sample', HTMLButtonElement).addEventListener('click', async () => {
  const written = await loadSampleProject(workspace);
  await tree.refresh(written);
  await preview.reload();
});
$('#clear-files', HTMLButtonElement).addEventListener('click', async () => {
  if (!window.confirm('Delete every file in this browser workspace?')) return;
  for (const entry of await workspace.readdir('.')) await workspace.rm(entry.name, { recursive: true });
  preview.clear();
  await tree.refresh();
});

bindSettingsPanel(
  {
    form: $('#settings-form', HTMLFormElement),
    provider: $('#provider', HTMLSelectElement),
    model: $('#model', HTMLInputElement),
    modelList: $('#model-list', HTMLDataListElement),
    baseUrl: $('#base-url', HTMLInputElement),
    apiKey: $('#api-key', HTMLInputElement),
    rememberKey: $('#remember-key', HTMLInputElement),
    keyNote: $('#key-note', HTMLElement),
    thinking: $('#thinking', HTMLSelectElement),
  },
  settings,
  storage,
  showStatus,
);
settingsPanel.open = missingSetup(settings) !== undefined;
preview.clear();
setRunning(false);

/** The first visit gets the sample project, so there is something to ask about; later visits keep what is there. */
async function start(): Promise<void> {
  if (!wasSeeded() && (await workspace.readdir('.')).length === 0) {
    await loadSampleProject(workspace);
    markSeeded();
  }
  await tree.refresh();
  document.body.dataset.ready = 'true';
}

function wasSeeded(): boolean {
  try {
    return storage?.getItem(SEEDED_KEY) === '1';
  } catch {
    return false;
  }
}

function markSeeded(): void {
  try {
    storage?.setItem(SEEDED_KEY, '1');
  } catch {
    // Without storage an emptied workspace is seeded again on the next visit; harmless.
  }
}

start().catch((error: unknown) => {
  chat.notice(
    `Could not open the browser filesystem: ${error instanceof Error ? error.message : String(error)}`,
    'error',
  );
});
