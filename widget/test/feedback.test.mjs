// 👍 and 👎 on the assistant's FAQ answers: the buttons, their ARIA, what is sent, what is
// remembered, and the same through the bundle.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { runInNewContext } from 'node:vm';
import { bundle } from '../build.mjs';
import { createChat } from '../src/chat.js';
import { createUI, historyView, THANKS } from '../src/render.js';
import { createStorage, memoryBackend } from '../src/storage.js';
import { createTransport, normalizeMessages } from '../src/transport.js';
import { createDocument, allByClass, byClass, byRole, byTag, key, type } from './helpers/fake-dom.mjs';

const ID = '1700000001.250000';
const CONFIG = { title: 'Clinic assistant', welcome: 'Hi', privacyUrl: '' };
const tick = () => new Promise((r) => setTimeout(r, 0));

function setupUI() {
  const doc = createDocument();
  const rated = [];
  const ui = createUI(doc, doc.body, CONFIG, {
    submit() {},
    quickReply() {},
    openChange() {},
    clear() {},
    draft() {},
    feedback: (id, helpful) => rated.push([id, helpful]),
  });
  ui.open();
  return { doc, ui, rated };
}

const rateButtons = (root) => allByClass(root, 'cw-rate');

test('an FAQ answer gets a labelled group of two real toggle buttons', () => {
  const { ui } = setupUI();
  ui.addMessage({ sender: 'bot', text: 'Sessions last 30 to 60 minutes.', buttons: [], feedback: ID });
  const group = byRole(ui.log, 'group');
  assert.equal(group.getAttribute('aria-label'), 'Was this answer helpful?');
  const [up, down] = rateButtons(ui.log);
  for (const b of [up, down]) {
    assert.equal(b.tagName, 'BUTTON');
    assert.equal(b.getAttribute('type'), 'button');
    assert.equal(b.getAttribute('aria-pressed'), 'false');
    assert.equal(b.getAttribute('aria-disabled'), null);
    assert.equal(b.getAttribute('disabled'), null);
    assert.equal(b.getAttribute('tabindex'), null, 'reachable with Tab like any button');
    assert.equal(byTag(b, 'span')[0].getAttribute('aria-hidden'), 'true', 'the emoji is not read out');
  }
  assert.equal(up.getAttribute('aria-label'), 'This answer helped');
  assert.equal(down.getAttribute('aria-label'), 'This answer did not help');
  assert.equal(up.getAttribute('title'), 'Helpful');
  assert.equal(down.getAttribute('title'), 'Not helpful');
  assert.equal(up.textContent, '\u{1F44D}');
  assert.equal(down.textContent, '\u{1F44E}');
  const thanks = byClass(group, 'cw-thanks');
  assert.equal(thanks.getAttribute('aria-live'), 'polite');
  assert.equal(thanks.textContent, '');
});

test('no buttons on other messages: booking-form questions, the visitor, the welcome', () => {
  const { ui } = setupUI();
  ui.addMessage({ sender: 'bot', text: "What's your full name?", buttons: [] });
  ui.addMessage({ sender: 'bot', text: 'New or returning?', buttons: [{ title: "I'm new", payload: '/new' }] });
  ui.addMessage({ sender: 'user', text: 'how long?', feedback: ID });
  assert.equal(rateButtons(ui.log).length, 0);
  assert.equal(allByClass(ui.log, 'cw-fb').length, 0);
});

test('a 👎: pressed, both buttons disabled with focus kept, thanks announced, reported once', () => {
  const { ui, doc, rated } = setupUI();
  ui.addMessage({ sender: 'bot', text: 'Answer', buttons: [], feedback: ID });
  const [up, down] = rateButtons(ui.log);
  down.focus();
  down.click(); // a native button: Enter and Space click it too
  assert.deepEqual(rated, [[ID, false]]);
  assert.equal(down.getAttribute('aria-pressed'), 'true');
  assert.equal(up.getAttribute('aria-pressed'), 'false');
  assert.equal(up.getAttribute('aria-disabled'), 'true');
  assert.equal(down.getAttribute('aria-disabled'), 'true');
  assert.equal(doc.activeElement, down, 'aria-disabled keeps focus where it was');
  assert.equal(byClass(ui.log, 'cw-thanks').textContent, THANKS);
  assert.equal(THANKS, 'Thanks for your feedback');
  up.click();
  down.click();
  assert.deepEqual(rated, [[ID, false]], 'a rated answer takes no other rating');
});

test('a 👍 is reported as helpful', () => {
  const { ui, rated } = setupUI();
  ui.addMessage({ sender: 'bot', text: 'Answer', buttons: [], feedback: ID });
  rateButtons(ui.log)[0].click();
  assert.deepEqual(rated, [[ID, true]]);
});

test('an answer rated before shows its rating and takes no other', () => {
  const { ui, rated } = setupUI();
  ui.addMessage({ sender: 'bot', text: 'Answer', buttons: [], feedback: ID, rated: true });
  const [up, down] = rateButtons(ui.log);
  assert.equal(up.getAttribute('aria-pressed'), 'true');
  assert.equal(down.getAttribute('aria-disabled'), 'true');
  down.click();
  assert.deepEqual(rated, []);
});

test('the buttons are at least 44 by 44 px on phones and touch screens, with a focus ring', () => {
  const css = readFileSync(new URL('../src/widget.css', import.meta.url), 'utf8');
  const touch = /@media \(max-width: 599\.98px\), \(pointer: coarse\) \{\s*\.cw-root \.cw-rate \{([^}]*)\}/.exec(css);
  assert.ok(touch, 'a phone and touch-screen rule for the rating buttons');
  assert.match(touch[1], /min-width: max\(2\.75em, 44px\)/);
  assert.match(touch[1], /min-height: max\(2\.75em, 44px\)/);
  assert.match(css, /\.cw-root :focus-visible,[^{]*\{\s*outline: 3px solid/);
  assert.ok(!/\.cw-rate[^{]*\{[^}]*outline: *(none|0)/.test(css), 'the focus ring is not removed');
});

test('historyView and normalizeMessages keep an answer id on assistant messages only', () => {
  const data = {
    messages: [
      { sender: 'user', text: 'how long?', feedback: ID },
      { sender: 'bot', text: 'Answer', feedback: ID },
      { sender: 'bot', text: 'Forged', feedback: 'javascript:alert(1)' },
      { sender: 'bot', text: 'Number', feedback: 1700000001.25 },
    ],
  };
  const messages = normalizeMessages(data);
  assert.deepEqual(
    messages.map((m) => m.feedback),
    [undefined, ID, undefined, undefined]
  );
  assert.equal(historyView(messages)[1].feedback, ID);
  assert.ok(!('feedback' in historyView(messages)[0]));
});

function respond(status, body) {
  return { status, ok: status < 300, headers: { get: () => null }, text: async () => (body ? JSON.stringify(body) : '') };
}

test('feedback POSTs {token, id, helpful} as text/plain; a 401 starts no new conversation', async () => {
  const calls = [];
  const answers = [respond(204), respond(401, { error: 'token', message: 'Expired.' })];
  const state = { token: 'signed-1' };
  const t = createTransport({
    server: 'https://bot.clinic.example',
    fetch: async (url, init) => {
      calls.push([init.method, url, JSON.parse(init.body), init.headers['Content-Type'], init.credentials]);
      return answers.shift();
    },
    getToken: () => state.token,
    setToken: (v) => {
      state.token = v;
    },
  });
  await t.feedback(ID, false);
  assert.deepEqual(calls, [
    [
      'POST',
      'https://bot.clinic.example/webhooks/widget/feedback',
      { token: 'signed-1', id: ID, helpful: false },
      'text/plain;charset=UTF-8',
      'omit',
    ],
  ]);
  await assert.rejects(t.feedback(ID, true), (e) => e.kind === 'auth');
  assert.equal(calls.length, 2, 'no session request, no retry');
  assert.deepEqual(calls[1][2], { token: 'signed-1', id: ID, helpful: true });
  state.token = '';
  await t.feedback(ID, true);
  assert.equal(calls.length, 2, 'without a conversation there is nothing to rate');
});

function setupChat({ history = [], stored = {} } = {}) {
  const doc = createDocument();
  const backend = memoryBackend();
  const storage = createStorage({ backend });
  if (stored.token) storage.setToken(stored.token);
  for (const [id, helpful] of stored.rated || []) storage.setRated(id, helpful);
  const transport = {
    rated: [],
    replies: [],
    async send() {
      return this.replies.shift() || [];
    },
    async history() {
      return history;
    },
    async deleteConversation() {},
    async feedback(id, helpful) {
      this.rated.push([id, helpful]);
      if (this.fail) throw new Error('down');
    },
  };
  let chat;
  const ui = createUI(doc, doc.body, CONFIG, {
    submit: (t) => chat.submit(t),
    quickReply: (b) => chat.quickReply(b),
    openChange: (o) => chat.openChange(o),
    clear: () => chat.clear(),
    draft: (t) => chat.draft(t),
    feedback: (id, helpful) => chat.feedback(id, helpful),
  });
  chat = createChat({ ui, transport, storage, config: CONFIG });
  const started = chat.start();
  return { ui, chat, storage, transport, started };
}

test('rating an answer sends it and remembers it, even when the request fails', async () => {
  const { ui, storage, transport } = setupChat();
  transport.fail = true;
  transport.replies.push([{ sender: 'bot', text: 'Answer', buttons: [], feedback: ID }]);
  ui.open();
  type(ui.input, 'how long is a session?');
  key(ui.input, 'Enter');
  await tick();
  rateButtons(ui.log)[1].click();
  await tick();
  assert.deepEqual(transport.rated, [[ID, false]]);
  assert.equal(storage.rated(ID), false);
  assert.equal(storage.rated('1700000002.000000'), null);
  assert.equal(byRole(ui.panel, 'alert').textContent, '', 'a failed rating shows no error');
});

test('after a reload, a rated answer shows its rating; others can still be rated', async () => {
  const other = '1700000002.000000';
  const { ui, started } = setupChat({
    stored: { token: 'tok', rated: [[ID, true]] },
    history: [
      { sender: 'user', text: 'how long?', buttons: [] },
      { sender: 'bot', text: 'Answer', buttons: [], feedback: ID },
      { sender: 'bot', text: 'Another', buttons: [], feedback: other },
    ],
  });
  await started;
  const [up, down, up2] = rateButtons(ui.log);
  assert.equal(up.getAttribute('aria-pressed'), 'true');
  assert.equal(down.getAttribute('aria-disabled'), 'true');
  assert.equal(up2.getAttribute('aria-disabled'), null);
});

test('storage keeps the latest 50 ratings and Clear conversation forgets them', () => {
  const storage = createStorage({ backend: memoryBackend() });
  for (let i = 0; i < 60; i++) storage.setRated(String(1700000000 + i) + '.000000', i % 2 === 0);
  assert.equal(storage.rated('1700000000.000000'), null, 'the oldest are forgotten');
  assert.equal(storage.rated('1700000059.000000'), false);
  assert.equal(storage.rated('1700000058.000000'), true);
  storage.setRated('1700000058.000000', false);
  assert.equal(storage.rated('1700000058.000000'), false);
  storage.clear();
  assert.equal(storage.rated('1700000059.000000'), null);
});

test('the bundle: a 👎 on an FAQ answer reaches /webhooks/widget/feedback', async () => {
  const calls = [];
  const json = (status, body) => ({ status, ok: status < 300, headers: { get: () => null }, text: async () => (body ? JSON.stringify(body) : '') });
  const fetch = async (url, init) => {
    const body = init.body ? JSON.parse(init.body) : null;
    const path = url.replace('https://bot.clinic.example', '');
    calls.push([path, body]);
    if (path === '/webhooks/widget/session') return json(200, { token: 'signed-token' });
    if (path === '/webhooks/widget/message') return json(200, { messages: [{ text: 'Sessions last an hour.', feedback: ID }] });
    if (path === '/webhooks/widget/feedback') return json(204);
    return json(404, { error: 'not_found', message: 'No.' });
  };
  const doc = createDocument();
  const script = doc.createElement('script');
  script.setAttribute('src', 'https://bot.clinic.example/widget.js');
  script.setAttribute('data-server', 'https://bot.clinic.example');
  doc.head.appendChild(script);
  doc.currentScript = script;
  const store = new Map();
  const sandbox = {
    document: doc,
    location: { href: 'https://www.clinic.example/' },
    localStorage: { getItem: (k) => (store.has(k) ? store.get(k) : null), setItem: (k, v) => store.set(k, String(v)), removeItem: (k) => store.delete(k) },
    fetch,
    setTimeout,
    clearTimeout,
    AbortController,
    URL,
    console,
  };
  sandbox.window = sandbox;
  runInNewContext(bundle(), sandbox, { filename: 'widget.js' });
  const root = doc.getElementById('clinic-chat-widget').shadowRoot;
  byClass(root, 'cw-launcher').click();
  const input = byClass(root, 'cw-input');
  type(input, 'how long is a session?');
  key(input, 'Enter');
  await new Promise((r) => setTimeout(r, 5));
  const [, down] = rateButtons(root);
  down.click();
  await new Promise((r) => setTimeout(r, 5));
  assert.deepEqual(calls.at(-1), ['/webhooks/widget/feedback', { token: 'signed-token', id: ID, helpful: false }]);
  assert.equal(byClass(root, 'cw-thanks').textContent, 'Thanks for your feedback');
  assert.equal(store.get('clinic-chat:rated'), ID + ':0');
});
