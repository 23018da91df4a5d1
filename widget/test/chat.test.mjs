// The conversation logic driving the real UI on the fake DOM, with a fake transport.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createChat } from '../src/chat.js';
import { createUI } from '../src/render.js';
import { createStorage, memoryBackend } from '../src/storage.js';
import { ChatError } from '../src/transport.js';
import { createDocument, byClass, allByClass, byRole, byTag, byText, isHidden, key, type } from './helpers/fake-dom.mjs';

const tick = () => new Promise((r) => setTimeout(r, 0));

function deferred() {
  let resolve, reject;
  const promise = new Promise((a, b) => {
    resolve = a;
    reject = b;
  });
  return { promise, resolve, reject };
}

function fakeTransport() {
  const t = {
    sent: [],
    deleted: [],
    replies: [], // per send: an array of messages, a ChatError, or a function returning a promise
    history: async () => {
      t.historyCalls = (t.historyCalls || 0) + 1;
      const h = t.historyResult;
      if (h instanceof Error) throw h;
      return h || [];
    },
    send(text) {
      t.sent.push(text);
      const next = t.replies.shift();
      if (typeof next === 'function') return next(text);
      if (next instanceof Error) return Promise.reject(next);
      return Promise.resolve(next || []);
    },
    async deleteConversation(token) {
      t.deleted.push(token);
      if (t.deleteError) throw t.deleteError;
    },
  };
  return t;
}

function setup({ stored = {}, history, privacyUrl = '' } = {}) {
  const doc = createDocument();
  const backend = memoryBackend();
  const storage = createStorage({ backend });
  if (stored.token) storage.setToken(stored.token);
  if (stored.open) storage.setOpen(true);
  if (stored.draft) storage.setDraft(stored.draft);
  if (stored.unsent) storage.setUnsent(stored.unsent);
  for (const name of stored.shown || []) storage.markShown(name);
  const transport = fakeTransport();
  transport.historyResult = history;
  const config = { title: 'Clinic assistant', welcome: 'Welcome to the **clinic**.', privacyUrl };
  let chat;
  const ui = createUI(doc, doc.body, config, {
    submit: (t) => chat.submit(t),
    quickReply: (b) => chat.quickReply(b),
    openChange: (o) => chat.openChange(o),
    clear: () => chat.clear(),
    draft: (t) => chat.draft(t),
  });
  chat = createChat({ ui, transport, storage, config });
  const started = chat.start();
  return { doc, ui, chat, storage, transport, started };
}

const messages = (ui) => allByClass(ui.log, 'cw-msg').map((m) => m.textContent);
const alertText = (ui) => byRole(ui.panel, 'alert').textContent;
const retryButton = (ui) => byText(ui.panel, 'button', 'Retry');
const typingShown = (ui) => byRole(ui.panel, 'status').textContent !== '';

async function send(ui, text) {
  type(ui.input, text);
  key(ui.input, 'Enter');
  await tick();
}

test('the first open shows the welcome and a plain-text privacy notice, once', async () => {
  const { ui, storage } = setup();
  ui.launcher.click();
  await tick();
  assert.deepEqual(messages(ui).length, 2);
  assert.equal(messages(ui)[0], 'Assistant: Welcome to the clinic.');
  const notice = byClass(ui.log, 'cw-notice');
  assert.match(notice.textContent, /^Privacy: /);
  assert.equal(byTag(notice, 'a').length, 0);
  assert.ok(storage.wasShown('welcome') && storage.wasShown('privacy'));
  key(ui.input, 'Escape');
  ui.launcher.click();
  await tick();
  assert.equal(messages(ui).length, 2, 'not repeated');
});

test('the privacy notice links to data-privacy-url when given', async () => {
  const { ui } = setup({ privacyUrl: 'https://clinic.example/privacy' });
  ui.launcher.click();
  await tick();
  const link = byTag(byClass(ui.log, 'cw-notice'), 'a')[0];
  assert.equal(link.getAttribute('href'), 'https://clinic.example/privacy');
  assert.equal(link.getAttribute('rel'), 'noopener noreferrer');
});

test('sending: the message shows, the typing indicator shows until the answer arrives', async () => {
  const { ui, transport } = setup();
  ui.launcher.click();
  await tick();
  const answer = deferred();
  transport.replies.push(() => answer.promise);
  await send(ui, 'what is dry needling?');
  assert.deepEqual(transport.sent, ['what is dry needling?']);
  assert.equal(messages(ui).at(-1), 'You: what is dry needling?');
  assert.ok(typingShown(ui));
  answer.resolve([{ sender: 'bot', text: 'It is **a treatment**.', buttons: [] }]);
  await tick();
  assert.ok(!typingShown(ui));
  assert.equal(messages(ui).at(-1), 'Assistant: It is a treatment.');
});

test('a network failure keeps the text: marked not sent, Retry re-sends it', async () => {
  const { ui, transport, storage } = setup();
  ui.launcher.click();
  await tick();
  transport.replies.push(new ChatError('network'));
  await send(ui, 'I have sciatica');
  assert.ok(!typingShown(ui));
  assert.match(alertText(ui), /can't be reached/);
  assert.ok(!isHidden(retryButton(ui)));
  const bubble = allByClass(ui.log, 'cw-user').at(-1);
  assert.equal(byClass(bubble, 'cw-state').textContent, 'Not sent');
  assert.equal(storage.getUnsent(), 'I have sciatica', 'kept across a reload too');

  transport.replies.push([{ sender: 'bot', text: 'Sorry to hear that.', buttons: [] }]);
  retryButton(ui).click();
  await tick();
  assert.deepEqual(transport.sent, ['I have sciatica', 'I have sciatica']);
  assert.equal(byClass(bubble, 'cw-state').textContent, '');
  assert.equal(alertText(ui), '');
  assert.ok(isHidden(retryButton(ui)));
  assert.equal(storage.getUnsent(), '');
  assert.equal(messages(ui).at(-1), 'Assistant: Sorry to hear that.');
});

test('after a failure, a new message goes out after the unsent one, in order', async () => {
  const { ui, transport } = setup();
  ui.launcher.click();
  await tick();
  transport.replies.push(new ChatError('server'));
  await send(ui, 'first');
  transport.replies.push([{ sender: 'bot', text: 'one', buttons: [] }], [{ sender: 'bot', text: 'two', buttons: [] }]);
  await send(ui, 'second');
  await tick();
  assert.deepEqual(transport.sent, ['first', 'first', 'second']);
  assert.deepEqual(messages(ui).slice(-4), ['You: first', 'You: second', 'Assistant: one', 'Assistant: two']);
});

test('429 shows the server message with Retry', async () => {
  const { ui, transport } = setup();
  ui.launcher.click();
  await tick();
  transport.replies.push(new ChatError('rate_limited', 'Please wait a few seconds.'));
  await send(ui, 'hello?');
  assert.equal(alertText(ui), 'Please wait a few seconds.');
  assert.ok(!isHidden(retryButton(ui)));
});

test('413 gives the text back in the text box for editing, with the server message and no Retry', async () => {
  const { ui, transport, storage, doc } = setup();
  ui.launcher.click();
  await tick();
  const before = messages(ui).length;
  transport.replies.push(new ChatError('too_long', 'Please keep it under 1000 characters.'));
  await send(ui, 'a very long story');
  assert.equal(alertText(ui), 'Please keep it under 1000 characters.');
  assert.ok(isHidden(retryButton(ui)));
  assert.equal(messages(ui).length, before, 'the refused message is not left in the log');
  assert.equal(ui.input.value, 'a very long story');
  assert.equal(storage.getDraft(), 'a very long story');
  assert.equal(doc.activeElement, ui.input);
});

test('a quick reply sends its payload, shows its title, and removes all of its message buttons', async () => {
  const { ui, transport } = setup();
  ui.launcher.click();
  await tick();
  transport.replies.push([
    {
      sender: 'bot',
      text: 'Have you been to the clinic before?',
      buttons: [
        { title: "I'm new", payload: '/affirm{"patient_status": "new"}' },
        { title: "I've been before", payload: '/affirm{"patient_status": "returning"}' },
      ],
    },
  ]);
  await send(ui, 'book please');
  assert.equal(byTag(ui.log, 'button').length, 2);
  transport.replies.push([{ sender: 'bot', text: 'Thanks.', buttons: [] }]);
  byText(ui.log, 'button', "I'm new").click();
  await tick();
  assert.equal(transport.sent.at(-1), '/affirm{"patient_status": "new"}');
  assert.ok(messages(ui).includes("You: I'm new"));
  assert.equal(byTag(ui.log, 'button').length, 0);
});

test('a refused quick reply (400) brings its buttons back', async () => {
  const { ui, transport } = setup();
  ui.launcher.click();
  await tick();
  transport.replies.push([{ sender: 'bot', text: 'OK?', buttons: [{ title: 'Yes', payload: '/affirm' }] }]);
  await send(ui, 'x');
  transport.replies.push(new ChatError('invalid', 'Not understood.'));
  byText(ui.log, 'button', 'Yes').click();
  await tick();
  assert.deepEqual(byTag(ui.log, 'button').map((b) => b.textContent), ['Yes']);
  assert.equal(ui.input.value, '', 'a payload is not put into the text box');
});

test('a reload restores the conversation from the server, without greeting again', async () => {
  const { ui, transport, started, doc } = setup({
    stored: { token: 'tok', open: true, shown: ['welcome', 'privacy'], draft: 'half-typed' },
    history: [
      { sender: 'bot', text: 'May we contact you?', buttons: [{ title: 'Yes', payload: '/affirm' }] },
      { sender: 'user', text: '/affirm', buttons: [] },
      { sender: 'bot', text: 'Thank you! Your reference is **AB12**.', buttons: [] },
    ],
  });
  await started;
  await tick();
  assert.equal(transport.historyCalls, 1);
  assert.ok(!isHidden(ui.panel), 'the open state is restored');
  assert.notEqual(doc.activeElement, ui.input, 'without stealing focus on page load');
  assert.deepEqual(messages(ui), [
    'Assistant: May we contact you?',
    'You: Yes',
    'Assistant: Thank you! Your reference is AB12.',
  ]);
  assert.equal(ui.log.getAttribute('aria-busy'), 'false');
  assert.equal(ui.input.value, 'half-typed');
});

test('text that failed to send before a reload comes back in the text box', async () => {
  const { ui, storage } = setup({ stored: { unsent: 'please call me', draft: 'and' } });
  assert.equal(ui.input.value, 'please call me\nand');
  assert.equal(storage.getDraft(), 'please call me\nand');
  assert.equal(storage.getUnsent(), '');
});

test('if the history cannot be loaded, Retry loads it', async () => {
  const { ui, transport, started } = setup({ stored: { token: 'tok' }, history: new ChatError('network') });
  await started;
  ui.launcher.click();
  await tick();
  assert.match(alertText(ui), /earlier conversation/);
  transport.historyResult = [{ sender: 'bot', text: 'Earlier answer', buttons: [] }];
  retryButton(ui).click();
  await tick();
  assert.ok(messages(ui).includes('Assistant: Earlier answer'));
});

test('the welcome comes back if nothing else would show', async () => {
  const { ui } = setup({ stored: { shown: ['welcome', 'privacy'] } });
  ui.launcher.click();
  await tick();
  assert.deepEqual(messages(ui), ['Assistant: Welcome to the clinic.']);
});

test('Clear conversation: deletes on the server and locally, then starts fresh', async () => {
  const { ui, transport, storage, doc } = setup();
  ui.launcher.click();
  await tick();
  transport.replies.push([{ sender: 'bot', text: 'answer', buttons: [] }]);
  storage.setToken('tok-1');
  await send(ui, 'question');
  type(ui.input, 'a draft');
  byText(ui.panel, 'button', 'Clear conversation').click();
  await tick();
  assert.deepEqual(transport.deleted, ['tok-1']);
  assert.equal(storage.getToken(), '');
  assert.equal(storage.getDraft(), '');
  assert.equal(ui.input.value, '');
  assert.equal(storage.isOpen(), true);
  assert.equal(messages(ui).length, 2, 'welcome and privacy notice again');
  assert.equal(messages(ui)[0], 'Assistant: Welcome to the clinic.');
  assert.equal(doc.activeElement, ui.input);
});

test('Clear conversation when the server cannot be reached: cleared here, Retry deletes there', async () => {
  const { ui, transport, storage } = setup({ stored: { token: 'tok-9' } });
  ui.launcher.click();
  await tick();
  transport.deleteError = new ChatError('network');
  byText(ui.panel, 'button', 'Clear conversation').click();
  await tick();
  assert.equal(storage.getToken(), '');
  assert.match(alertText(ui), /cleared on this device/);
  transport.deleteError = null;
  retryButton(ui).click();
  await tick();
  assert.deepEqual(transport.deleted, ['tok-9', 'tok-9']);
  assert.equal(alertText(ui), '');
});

test('an answer that arrives after Clear conversation is dropped', async () => {
  const { ui, transport } = setup();
  ui.launcher.click();
  await tick();
  const late = deferred();
  transport.replies.push(() => late.promise);
  await send(ui, 'something private');
  byText(ui.panel, 'button', 'Clear conversation').click();
  late.resolve([{ sender: 'bot', text: 'late answer', buttons: [] }]);
  await tick();
  assert.ok(!messages(ui).some((m) => m.includes('late answer') || m.includes('something private')));
  assert.ok(!typingShown(ui));
});
