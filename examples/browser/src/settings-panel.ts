/**
 * The settings form: it edits a `Settings` object in place, saves what may
 * be saved, and tells the page when something changed.
 */
import { listModels } from 'qcore';
import { PROVIDER_DEFAULTS, type ProviderKind, type Settings, saveSettings } from './settings.js';

export interface SettingsPanelElements {
  form: HTMLFormElement;
  mode: HTMLSelectElement;
  /** The fields of each mode; the other mode's are hidden. */
  pageFields: HTMLElement;
  workerFields: HTMLElement;
  provider: HTMLSelectElement;
  model: HTMLInputElement;
  modelList: HTMLDataListElement;
  baseUrl: HTMLInputElement;
  apiKey: HTMLInputElement;
  rememberKey: HTMLInputElement;
  keyNote: HTMLElement;
  thinking: HTMLSelectElement;
  workerUrl: HTMLInputElement;
  workerSecret: HTMLInputElement;
  rememberSecret: HTMLInputElement;
  secretNote: HTMLElement;
  /** Says which origin the Worker's CORS_ORIGIN must list. */
  originNote: HTMLElement;
}

export function bindSettingsPanel(
  elements: SettingsPanelElements,
  settings: Settings,
  storage: Storage | undefined,
  onChange: () => void,
): void {
  const { form, provider, model, modelList, baseUrl, apiKey, rememberKey, keyNote, thinking } = elements;
  const { mode, pageFields, workerFields, workerUrl, workerSecret, rememberSecret, secretNote, originNote } = elements;

  const showProvider = () => {
    const defaults = PROVIDER_DEFAULTS[settings.provider];
    baseUrl.placeholder = defaults.baseUrl;
    model.placeholder = defaults.modelId;
    modelList.replaceChildren(
      ...listModels(defaults.catalog).map((known) => {
        const option = document.createElement('option');
        option.value = known.id;
        option.label = known.name;
        return option;
      }),
    );
  };

  const showKeyNote = () => {
    if (!settings.apiKey) {
      keyNote.textContent = settings.baseUrl
        ? 'No key: requests go to the base URL as they are, for a proxy that adds the key or a local server.'
        : 'Sent only to the provider (or the base URL). Kept in memory: closing the tab forgets it.';
    } else {
      keyNote.textContent = settings.rememberKey
        ? 'Remembered in this browser’s localStorage, readable by any script on this page’s origin. Untick to delete it.'
        : 'Kept in memory only: closing or reloading the tab forgets it.';
    }
  };

  const showMode = () => {
    pageFields.hidden = settings.mode !== 'page';
    workerFields.hidden = settings.mode !== 'worker';
  };

  const showSecretNote = () => {
    if (!settings.workerSecret) {
      secretNote.textContent =
        'The Worker’s AGENT_SECRET, sent only to the Worker. Whoever holds it runs the Worker’s agent on its model key.';
    } else {
      secretNote.textContent = settings.rememberSecret
        ? 'Stored in this browser’s localStorage, readable by any script on this page’s origin. Untick to delete it.'
        : 'Stored in this browser’s memory only: closing or reloading the tab forgets it.';
    }
  };

  mode.value = settings.mode;
  workerUrl.value = settings.workerUrl;
  workerSecret.value = settings.workerSecret;
  rememberSecret.checked = settings.rememberSecret;
  originNote.textContent = `The Worker must list this page’s origin, ${location.origin}, in its CORS_ORIGIN.`;
  showMode();
  showSecretNote();
  provider.value = settings.provider;
  model.value = settings.modelId;
  baseUrl.value = settings.baseUrl;
  apiKey.value = settings.apiKey;
  rememberKey.checked = settings.rememberKey;
  thinking.value = settings.thinking;
  showProvider();
  showKeyNote();

  const update = () => {
    settings.mode = mode.value === 'worker' ? 'worker' : 'page';
    showMode();
    const chosen: ProviderKind = provider.value === 'openai-compatible' ? 'openai-compatible' : 'anthropic';
    if (chosen !== settings.provider) {
      // A model id of one provider means nothing to the other.
      settings.provider = chosen;
      model.value = PROVIDER_DEFAULTS[chosen].modelId;
      showProvider();
    }
    settings.modelId = model.value.trim();
    settings.baseUrl = baseUrl.value.trim();
    settings.apiKey = apiKey.value.trim();
    settings.rememberKey = rememberKey.checked;
    const level = thinking.value;
    if (level === 'off' || level === 'minimal' || level === 'low' || level === 'medium' || level === 'high') {
      settings.thinking = level;
    }
    settings.workerUrl = workerUrl.value.trim();
    settings.workerSecret = workerSecret.value.trim();
    settings.rememberSecret = rememberSecret.checked;
    saveSettings(storage, settings);
    showKeyNote();
    showSecretNote();
    onChange();
  };

  form.addEventListener('input', update);
  form.addEventListener('change', update);
  form.addEventListener('submit', (event) => event.preventDefault());
}
