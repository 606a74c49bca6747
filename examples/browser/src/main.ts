/**
 * A page for chatting with a qcore agent whose files live in IndexedDB.
 * The agent, the coding tools and the filesystem all run in this tab; the
 * only request that leaves it is the model call, to the provider or to the
 * base URL in the settings. Each chat is a session recorded in IndexedDB as
 * it happens, so the last one opens again after a reload and older ones
 * stay in the History card.
 *
 * Or, with "A durable Worker" in the settings, the agent runs in
 * examples/worker: each chat is a session there (`worker-chat.ts`), drawn
 * from its events the same way, and History lists the Worker's sessions.
 */
import {
  Agent,
  type AgentEvent,
  type AgentMessage,
  createCodingTools,
  type LoadedSession,
  loadSession,
  recordSession,
  resolveWorkspacePath,
  type SessionRecording,
  stream,
} from 'qcore';
import { IndexedDbSessionStore, LightningFsWorkspace } from 'qcore/browser';
import { ApprovalList } from './approval-list.js';
import { ChatView } from './chat-view.js';
import { FilePreview } from './file-preview.js';
import { FileTree } from './file-tree.js';
import { HistoryList } from './history-list.js';
import { loadSampleProject } from './sample-project.js';
import { type AgentMode, buildModel, loadSettings, missingSetup } from './settings.js';
import { bindSettingsPanel } from './settings-panel.js';
import { WorkerChat } from './worker-chat.js';

const WORKSPACE_NAME = 'qcore-browser-example';
const SEEDED_KEY = 'qcore-example:seeded';
/** The id of the chat on screen, so that a reload opens it again (not just the last one written to). */
const CHAT_KEY = 'qcore-example:chat';

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
const sessions = new IndexedDbSessionStore();

const status = $('#status', HTMLElement);
const settingsPanel = $('#settings-panel', HTMLDetailsElement);
const promptInput = $('#prompt', HTMLTextAreaElement);
const sendButton = $('#send', HTMLButtonElement);
const stopButton = $('#stop', HTMLButtonElement);

const chat = new ChatView($('#chat-log', HTMLElement));
const preview = new FilePreview($('#preview-title', HTMLElement), $('#preview-body', HTMLElement), workspace);
const tree = new FileTree($('#file-tree', HTMLElement), workspace, (path) => void preview.show(path));
const history = new HistoryList(
  $('#history-list', HTMLElement),
  () => (mode === 'worker' ? worker.list() : sessions.list()),
  (id) => void (mode === 'worker' ? worker.open(id) : openChat(id)),
);
const historyPanel = $('#history-panel', HTMLDetailsElement);
const worker = new WorkerChat({
  chat,
  approvals: new ApprovalList($('#approvals', HTMLElement)),
  settings,
  storage,
  onChange: showWorker,
  onHistory: () => void refreshHistory(),
});

/** Where the agent runs now: `settings.mode` changes first, then the page follows it. */
let mode: AgentMode = settings.mode;

/** The chat on screen: its session, the agent that holds its history, and what records that agent. */
interface Chat {
  id: string;
  agent: Agent;
  recording: SessionRecording;
  unsubscribe: () => void;
}

/** Set by `useChat`, which runs once before anything else reads it. */
let current!: Chat;

/**
 * An agent per chat: the `Agent` takes a history only when it is made, so
 * opening a saved chat makes a new one with the chat's messages.
 */
function createAgent(messages: AgentMessage[]): Agent {
  return new Agent({
    model: buildModel(settings),
    systemPrompt: [
      `You are a coding agent. The project's files live in a virtual filesystem in the user's browser, rooted at ${workspace.root}.`,
      'Use the tools to read, search, edit and write them. There is no shell: you cannot run commands, install packages or run tests.',
      'Keep answers short, and say which files you changed.',
    ].join('\n'),
    tools: createCodingTools(workspace),
    messages,
    // Read on every call, so a key typed in the settings takes effect on the next turn.
    getApiKey: () => settings.apiKey || undefined,
    streamFn: (model, context, options) => stream(model, context, { ...options, reasoning: settings.thinking }),
  });
}

/**
 * Puts a chat on screen: a new one (the session is written with its first
 * message), or a saved one `resumed` from its entries. A run of the chat it
 * replaces is stopped and abandoned, as New chat always did.
 */
function useChat(id: string, resumed?: LoadedSession): Chat {
  // Undefined on the first call only.
  const previous = current as Chat | undefined;
  if (previous) {
    previous.agent.reset();
    previous.recording.stop();
    previous.unsubscribe();
  }
  const agent = createAgent(resumed?.messages ?? []);
  const unsubscribe = agent.subscribe((event) => {
    chat.handle(event);
    if (event.type === 'tool_execution_end') {
      void tree.refresh(writtenPaths(event));
      void preview.reload();
    }
    // Once the run's last message is stored, so that its count is right.
    if (event.type === 'agent_end') void recording.flush().then(refreshHistory);
  });
  const recording = recordSession(agent, {
    store: sessions,
    sessionId: id,
    cwd: workspace.root,
    ...(resumed ? { resumed } : {}),
    onError: (error) => chat.notice(`This chat is no longer saved: ${messageOf(error)}`, 'error'),
  });
  if (resumed) {
    chat.show(resumed.messages);
    for (const warning of resumed.warnings) chat.notice(warning, 'info');
  } else if (previous) chat.clear(); // The first new chat keeps the page's welcome.
  current = { id, agent, recording, unsubscribe };
  setRunning(false);
  void refreshHistory();
  return current;
}

/** Opens a saved chat; one with no entries yet is a new chat under that id. */
async function openChat(id: string): Promise<void> {
  if (id === current.id) return;
  let loaded: LoadedSession | undefined;
  try {
    const entries = await sessions.read(id);
    if (entries.length > 0) loaded = loadSession(entries);
  } catch (error) {
    chat.notice(`Could not open the chat: ${messageOf(error)}`, 'error');
    return;
  }
  useChat(id, loaded);
  rememberChat(id);
}

/** Sortable by creation time, like the CLI's session ids; random enough that two tabs never collide. */
function newChatId(): string {
  const random = Array.from(crypto.getRandomValues(new Uint8Array(4)), (byte) => byte.toString(16).padStart(2, '0'));
  return `${new Date().toISOString().replace(/[:.]/g, '-')}-${random.join('')}`;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

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

/** The History list, from wherever the agent runs now, with the chat on screen marked. */
function refreshHistory(): Promise<void> {
  return history.refresh(mode === 'worker' ? worker.id : current.id);
}

function showStatus(): void {
  document.body.classList.toggle('mode-worker', mode === 'worker');
  document.body.classList.toggle('reconnecting', mode === 'worker' && worker.connectionState === 'reconnecting');
  document.body.dataset.connection = mode === 'worker' ? worker.connectionState : 'none';
  if (mode === 'worker') {
    status.textContent = worker.statusText();
    return;
  }
  const model = buildModel(settings);
  const key = settings.apiKey ? (settings.rememberKey ? 'key remembered' : 'key in memory') : 'no key';
  const where = settings.baseUrl ? ` via ${settings.baseUrl}` : '';
  const state = current.agent.state.isStreaming ? 'Working…' : 'Ready';
  status.textContent = `${state} · ${model.name}${where} · ${key}`;
}

function setRunning(running: boolean): void {
  // In Worker mode the Worker's session says (showWorker).
  if (mode !== 'page') return;
  sendButton.disabled = running;
  stopButton.disabled = !running;
  document.body.classList.toggle('running', running);
  showStatus();
}

/** The buttons and status line for the Worker's session. */
function showWorker(): void {
  if (mode !== 'worker') return;
  sendButton.disabled = worker.running || worker.awaiting;
  stopButton.disabled = !worker.running;
  document.body.classList.toggle('running', worker.running);
  showStatus();
}

async function send(): Promise<void> {
  if (mode === 'worker') return sendToWorker();
  const { agent, id } = current;
  const text = promptInput.value.trim();
  if (!text || agent.state.isStreaming) return;
  const problem = missingSetup(settings);
  if (problem) {
    chat.notice(problem, 'error');
    settingsPanel.open = true;
    return;
  }
  agent.setModel(buildModel(settings));
  rememberChat(id);
  promptInput.value = '';
  setRunning(true);
  try {
    await agent.prompt(text);
  } finally {
    // The chat may have been switched meanwhile; then the new one has set the buttons.
    if (current.agent === agent) setRunning(false);
    void tree.refresh();
  }
}

async function sendToWorker(): Promise<void> {
  const text = promptInput.value.trim();
  if (!text || worker.running || worker.awaiting) return;
  const problem = missingSetup(settings);
  if (problem) {
    chat.notice(problem, 'error');
    settingsPanel.open = true;
    return;
  }
  promptInput.value = '';
  // Not taken (the chat says why): the prompt comes back to be sent again, unless something else was typed.
  if (!(await worker.send(text)) && !promptInput.value) promptInput.value = text;
}

/**
 * From the page to the Worker or back. A run in the page is stopped, as New
 * chat stops one; a run in the Worker goes on there without this page.
 */
function switchMode(next: AgentMode): void {
  if (mode === 'page') {
    current.unsubscribe();
    current.agent.abort();
  } else worker.leave();
  mode = next;
  if (next === 'worker') worker.start(true);
  else {
    useChat(newChatId());
    void restoreChat();
  }
  showStatus();
  showWorker();
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
stopButton.addEventListener('click', () => {
  if (mode === 'worker') void worker.stop();
  else current.agent.abort();
});
$('#new-chat', HTMLButtonElement).addEventListener('click', () => {
  if (mode === 'worker') worker.newChat();
  else rememberChat(useChat(newChatId()).id);
});
historyPanel.addEventListener('toggle', () => {
  if (historyPanel.open) void refreshHistory();
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
    mode: $('#agent-mode', HTMLSelectElement),
    pageFields: $('#page-settings', HTMLElement),
    workerFields: $('#worker-settings', HTMLElement),
    provider: $('#provider', HTMLSelectElement),
    model: $('#model', HTMLInputElement),
    modelList: $('#model-list', HTMLDataListElement),
    baseUrl: $('#base-url', HTMLInputElement),
    apiKey: $('#api-key', HTMLInputElement),
    rememberKey: $('#remember-key', HTMLInputElement),
    keyNote: $('#key-note', HTMLElement),
    thinking: $('#thinking', HTMLSelectElement),
    workerUrl: $('#worker-url', HTMLInputElement),
    workerSecret: $('#worker-secret', HTMLInputElement),
    rememberSecret: $('#remember-secret', HTMLInputElement),
    secretNote: $('#secret-note', HTMLElement),
    originNote: $('#origin-note', HTMLElement),
  },
  settings,
  storage,
  () => {
    if (settings.mode !== mode) switchMode(settings.mode);
    else if (mode === 'worker') worker.settingsChanged();
    showStatus();
  },
);
settingsPanel.open = missingSetup(settings) !== undefined;
preview.clear();
// A new chat until the last one is read back, so that nothing on the page waits for IndexedDB.
useChat(newChatId());

/**
 * The chat on screen at the last visit opens again. The first visit gets
 * the sample project, so there is something to ask about; later visits keep
 * what is there.
 */
async function start(): Promise<void> {
  if (mode === 'worker') worker.start(false);
  else await restoreChat();
  if (!wasSeeded() && (await workspace.readdir('.')).length === 0) {
    await loadSampleProject(workspace);
    markSeeded();
  }
  await tree.refresh();
  document.body.dataset.ready = 'true';
}

/** The chat remembered in localStorage, or without storage the one written to last. */
async function restoreChat(): Promise<void> {
  let id: string | undefined;
  try {
    id = rememberedChat() ?? (await sessions.list())[0]?.id;
  } catch (error) {
    chat.notice(`Could not read the saved chats: ${messageOf(error)}`, 'error');
    return;
  }
  if (id !== undefined) await openChat(id);
}

function rememberedChat(): string | undefined {
  try {
    return storage?.getItem(CHAT_KEY) ?? undefined;
  } catch {
    return undefined;
  }
}

function rememberChat(id: string): void {
  try {
    storage?.setItem(CHAT_KEY, id);
  } catch {
    // Without storage a reload opens the chat written to last instead.
  }
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
