// The conversation logic: sending in order, retrying, restoring, greeting, clearing.
// It knows nothing about the DOM (ui) or HTTP (transport).
import { historyView } from './render.js';

const GENERIC = "Something went wrong. Please try again.";
const CLEAR_FAILED =
  "This conversation was cleared on this device, but the clinic's server could not be reached to delete its copy.";

export function privacyNotice(url) {
  const nodes = [
    { type: 'strong', children: [{ type: 'text', text: 'Privacy: ' }] },
    {
      type: 'text',
      text: "this chat is saved in this browser and on the clinic's server so it can continue from page to page. Please share only the health details needed. \u201cClear conversation\u201d deletes it.",
    },
  ];
  if (url) {
    nodes.push({ type: 'text', text: ' ' });
    nodes.push({ type: 'link', href: url, children: [{ type: 'text', text: 'Read our privacy notice' }] });
  }
  return nodes;
}

export function createChat({ ui, transport, storage, config }) {
  const queue = []; // {text, typed, handle, restore, failed}: sent one at a time, in order
  let sending = false;
  let generation = 0; // bumped by clear(): late answers to an old conversation are dropped
  let ready = Promise.resolve();

  const errorMessage = (err) => (err && err.name === 'ChatError' ? err.message : GENERIC);
  // an FAQ answer shows whether it was rated already (on this device)
  const withRating = (m) => (m.feedback ? Object.assign({}, m, { rated: storage.rated(m.feedback) }) : m);

  function persistUnsent() {
    storage.setUnsent(queue.filter((i) => i.typed && i.failed).map((i) => i.text).join('\n'));
  }

  function enqueue(text, label, typed) {
    const restore = ui.detachQuickReplies();
    const handle = ui.addMessage({ sender: 'user', text: label });
    queue.push({ text, typed, handle, restore, failed: false });
    ui.clearError();
    pump();
  }

  async function pump() {
    if (sending || !queue.length) return;
    const gen = generation;
    const item = queue[0];
    sending = true;
    item.handle.setFailed(false);
    ui.setTyping(true);
    let answer;
    try {
      answer = await transport.send(item.text);
    } catch (err) {
      if (gen !== generation) return;
      sending = false;
      ui.setTyping(false);
      if (err && err.retryable === false) {
        // The text itself was refused (too long, invalid): give it back for editing.
        const typed = [];
        for (const i of queue.splice(0)) {
          i.handle.remove();
          i.restore();
          if (i.typed) typed.push(i.text);
        }
        const draft = ui.getDraft();
        if (typed.length) {
          ui.setDraft(typed.join('\n') + (draft ? '\n' + draft : ''));
          storage.setDraft(ui.getDraft());
        }
        persistUnsent();
        ui.showError(errorMessage(err), null);
        ui.focusInput();
      } else {
        for (const i of queue) {
          i.failed = true;
          i.handle.setFailed(true);
        }
        persistUnsent();
        ui.showError(errorMessage(err), retry);
      }
      return;
    }
    if (gen !== generation) return;
    queue.shift();
    persistUnsent();
    sending = false;
    ui.setTyping(false);
    ui.addMessages(answer);
    pump();
  }

  function retry() {
    ui.clearError();
    pump();
  }

  // Welcome once per conversation (again if nothing else would show), privacy notice once.
  function greet() {
    if (ui.isEmpty() || !storage.wasShown('welcome')) {
      ui.addMessage({ sender: 'bot', text: config.welcome, buttons: [] });
      storage.markShown('welcome');
    }
    if (!storage.wasShown('privacy')) {
      ui.addNotice(privacyNotice(config.privacyUrl));
      storage.markShown('privacy');
    }
  }

  async function loadHistory() {
    const gen = generation;
    if (!storage.getToken()) return;
    ui.setRestoring(true);
    try {
      const messages = await transport.history();
      if (gen !== generation) return;
      for (const m of historyView(messages)) ui.addMessage(withRating(m));
    } catch (err) {
      if (gen !== generation) return;
      ui.showError("Your earlier conversation couldn't be loaded. " + errorMessage(err), () => {
        ready = loadHistory();
      });
    } finally {
      ui.setRestoring(false);
    }
  }

  // On page load: the draft (plus anything that failed to send), the history, the open state.
  function start() {
    const unsent = storage.getUnsent();
    const draft = storage.getDraft();
    const text = unsent ? unsent + (draft ? '\n' + draft : '') : draft;
    ui.setDraft(text);
    storage.setDraft(text);
    storage.setUnsent('');
    ready = loadHistory();
    if (storage.isOpen()) ui.open({ focus: false });
    return ready;
  }

  async function deleteOnServer(token) {
    try {
      await transport.deleteConversation(token);
    } catch (err) {
      ui.showError(CLEAR_FAILED, () => deleteOnServer(token));
    }
  }

  function clear() {
    const token = storage.getToken();
    generation++;
    sending = false;
    queue.length = 0;
    storage.clear();
    storage.setOpen(ui.isOpen());
    ui.clearLog();
    ui.clearError();
    ui.setTyping(false);
    ui.setDraft('');
    ready = Promise.resolve();
    greet();
    ui.focusInput();
    return token ? deleteOnServer(token) : Promise.resolve();
  }

  return {
    start,
    clear,
    retry,
    submit: (text) => enqueue(text, text, true),
    quickReply: (b) => enqueue(b.payload, b.title, false),
    draft: (text) => storage.setDraft(text),
    // Remembered at once; a failed request is not retried (the thanks is already shown).
    feedback(id, helpful) {
      storage.setRated(id, helpful);
      return transport.feedback(id, helpful).catch(() => {});
    },
    openChange(open) {
      storage.setOpen(open);
      if (open) return ready.then(greet);
    },
    get ready() {
      return ready;
    },
  };
}
