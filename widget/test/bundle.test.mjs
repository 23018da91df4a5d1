// Runs the bundled widget (what a page would load) against the fake DOM, a fake
// fetch and a fake localStorage: the bundler's output must work end to end.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runInNewContext } from 'node:vm';
import { bundle } from '../build.mjs';
import { createDocument, byClass, allByClass, byRole, byTag, key, type } from './helpers/fake-dom.mjs';

const code = bundle();
const SERVER = 'https://bot.clinic.example';
const tick = () => new Promise((r) => setTimeout(r, 5));

function fakeServer() {
  const calls = [];
  const conversation = [];
  const json = (status, body) => ({
    status,
    ok: status < 300,
    headers: { get: () => null },
    text: async () => (body === undefined ? '' : JSON.stringify(body)),
  });
  const fetch = async (url, init) => {
    const body = init.body ? JSON.parse(init.body) : null;
    calls.push([init.method, url.replace(SERVER, ''), body]);
    const path = url.replace(SERVER, '').split('?')[0];
    if (path === '/webhooks/widget/session') return json(200, { token: 'signed-token' });
    if (path === '/webhooks/widget/message') {
      conversation.push({ sender: 'user', text: body.text });
      const reply = { text: 'You said *' + body.text + '*', buttons: [{ title: 'Thanks', payload: '/thank' }] };
      conversation.push(Object.assign({ sender: 'bot' }, reply));
      return json(200, { messages: [reply] });
    }
    if (path === '/webhooks/widget/history') return json(200, { messages: conversation });
    if (path === '/webhooks/widget/conversation') return json(204);
    return json(404, { error: 'not_found', message: 'No such endpoint.' });
  };
  return { fetch, calls };
}

function storageMap() {
  const m = new Map();
  return { getItem: (k) => (m.has(k) ? m.get(k) : null), setItem: (k, v) => m.set(k, String(v)), removeItem: (k) => m.delete(k) };
}

// Loads the page: a document whose <script> tag is the widget's, then the bundle.
function loadPage(server, localStorage, readyState = 'complete') {
  const doc = createDocument({ readyState });
  const script = doc.createElement('script');
  script.setAttribute('src', 'https://cdn.example/widget.js');
  script.setAttribute('data-server', SERVER + '/');
  script.setAttribute('data-title', 'Back Pain Clinic');
  script.setAttribute('data-privacy-url', 'https://www.clinic.example/privacy');
  doc.head.appendChild(script);
  doc.currentScript = script;
  const sandbox = {
    document: doc,
    location: { href: 'https://www.clinic.example/sciatica' },
    localStorage,
    fetch: server.fetch,
    setTimeout,
    clearTimeout,
    AbortController,
    URL,
    console,
  };
  sandbox.window = sandbox;
  runInNewContext(code, sandbox, { filename: 'widget.js' });
  doc.currentScript = null;
  return doc;
}

const widget = (doc) => doc.getElementById('clinic-chat-widget');
const inside = (doc) => widget(doc).shadowRoot;
const texts = (doc) => allByClass(inside(doc), 'cw-msg').map((m) => m.textContent);

test('waits for the DOM, then mounts once, in a shadow root with its styles', () => {
  const doc = loadPage(fakeServer(), storageMap(), 'loading');
  assert.equal(widget(doc), null);
  for (const fn of doc.listeners.DOMContentLoaded) fn();
  const root = inside(doc);
  assert.ok(root, 'a shadow root');
  const style = byTag(root, 'style')[0];
  assert.ok(style.textContent.includes('--cw-accent') && style.textContent.includes('.cw-panel{'));
  assert.match(byClass(root, 'cw-launcher').getAttribute('aria-label'), /chat/i);
  assert.equal(byRole(root, 'dialog').getAttribute('aria-label'), 'Back Pain Clinic');
  for (const fn of doc.listeners.DOMContentLoaded) fn();
  assert.equal(doc.body.childNodes.length, 1, 'mounted once');
});

test('a conversation survives a reload; Clear conversation deletes it', async () => {
  const server = fakeServer();
  const ls = storageMap();
  let doc = loadPage(server, ls);
  byClass(inside(doc), 'cw-launcher').click();
  await tick();
  assert.match(texts(doc)[0], /^Assistant: Hello!/);
  assert.match(texts(doc)[1], /^Privacy: /);
  const input = byClass(inside(doc), 'cw-input');
  assert.equal(doc.activeElement, input);
  type(input, 'my leg hurts');
  key(input, 'Enter');
  await tick();
  assert.deepEqual(server.calls.slice(0, 2), [
    ['POST', '/webhooks/widget/session', {}],
    ['POST', '/webhooks/widget/message', { token: 'signed-token', text: 'my leg hurts' }],
  ]);
  assert.deepEqual(texts(doc).slice(2), ['You: my leg hurts', 'Assistant: You said my leg hurtsThanks']);
  type(input, 'unsent draft');

  // Reload (another page of the site): same localStorage, new document.
  doc = loadPage(server, ls);
  await tick();
  assert.deepEqual(server.calls.at(-1), ['POST', '/webhooks/widget/history', { token: 'signed-token' }]);
  assert.ok(!byRole(inside(doc), 'dialog').hasAttribute('hidden'), 'still open');
  assert.deepEqual(texts(doc), ['You: my leg hurts', 'Assistant: You said my leg hurtsThanks']);
  assert.equal(byClass(inside(doc), 'cw-input').value, 'unsent draft');

  const clear = byTag(inside(doc), 'button').find((b) => b.textContent === 'Clear conversation');
  clear.click();
  await tick();
  assert.deepEqual(server.calls.at(-1), ['POST', '/webhooks/widget/forget', { token: 'signed-token' }]);
  assert.equal(ls.getItem('clinic-chat:token'), null);
  assert.match(texts(doc)[0], /^Assistant: Hello!/);
});
