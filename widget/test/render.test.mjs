import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createUI, renderNodes, historyView, LAUNCHER_LABEL } from '../src/render.js';
import { createDocument, byClass, allByClass, byRole, byTag, byText, isHidden, key, type, walk } from './helpers/fake-dom.mjs';

const CONFIG = { title: 'Clinic assistant', welcome: 'Hi', privacyUrl: '' };

function setup() {
  const doc = createDocument();
  const calls = { submit: [], quickReply: [], openChange: [], clear: 0, draft: [] };
  const ui = createUI(doc, doc.body, CONFIG, {
    submit: (t) => calls.submit.push(t),
    quickReply: (b) => calls.quickReply.push(b),
    openChange: (o) => calls.openChange.push(o),
    clear: () => calls.clear++,
    draft: (t) => calls.draft.push(t),
  });
  return { doc, ui, calls };
}

const textNodes = (root) => [...walk(root)].filter((n) => n.nodeType === 3).map((n) => n.data);

test('the launcher is a button whose accessible name contains "chat"', () => {
  const { ui } = setup();
  assert.equal(ui.launcher.tagName, 'BUTTON');
  assert.equal(ui.launcher.getAttribute('type'), 'button');
  assert.equal(ui.launcher.getAttribute('aria-label'), LAUNCHER_LABEL);
  assert.match(LAUNCHER_LABEL, /chat/i);
  assert.match(ui.launcher.textContent, /chat/i, 'the visible label is part of the accessible name');
  assert.equal(ui.launcher.getAttribute('aria-expanded'), 'false');
  assert.equal(ui.launcher.getAttribute('aria-controls'), ui.panel.id);
});

test('the panel: a labelled dialog with header buttons, a polite log, a status, an alert and a labelled text box', () => {
  const { ui, doc } = setup();
  assert.equal(ui.panel.getAttribute('role'), 'dialog');
  assert.equal(ui.panel.getAttribute('aria-label'), 'Clinic assistant');
  assert.ok(isHidden(ui.panel), 'closed at first');
  assert.ok(byText(ui.panel, 'h2', 'Clinic assistant'));
  assert.ok(byText(ui.panel, 'button', 'Clear conversation'));
  assert.equal(byClass(ui.panel, 'cw-close').getAttribute('aria-label'), 'Close chat');
  assert.equal(ui.log.getAttribute('role'), 'log');
  assert.equal(ui.log.getAttribute('aria-live'), 'polite');
  assert.equal(byRole(ui.panel, 'status').getAttribute('aria-live'), 'polite');
  assert.ok(byRole(ui.panel, 'alert'));
  const label = byTag(ui.panel, 'label')[0];
  assert.equal(label.getAttribute('for'), ui.input.id);
  assert.equal(label.textContent, 'Your message');
  assert.equal(ui.input.tagName, 'TEXTAREA');
  assert.equal(byText(ui.panel, 'button', 'Send').getAttribute('type'), 'submit');
  assert.ok(!doc.created.includes('SCRIPT') && !doc.created.includes('IFRAME'));
});

test('opening moves focus to the text box; Escape closes and focus returns to the launcher', () => {
  const { ui, doc, calls } = setup();
  ui.launcher.click();
  assert.ok(!isHidden(ui.panel));
  assert.equal(ui.launcher.getAttribute('aria-expanded'), 'true');
  assert.equal(doc.activeElement, ui.input);
  key(ui.input, 'Escape');
  assert.ok(isHidden(ui.panel));
  assert.ok(!isHidden(ui.launcher));
  assert.equal(doc.activeElement, ui.launcher);
  ui.launcher.click();
  byClass(ui.panel, 'cw-close').click();
  assert.equal(doc.activeElement, ui.launcher);
  assert.deepEqual(calls.openChange, [true, false, true, false]);
});

test('opening without focus (restoring the open state on page load) leaves focus alone', () => {
  const { ui, doc } = setup();
  ui.open({ focus: false });
  assert.ok(!isHidden(ui.panel));
  assert.equal(doc.activeElement, doc.body);
});

test('Enter sends, Shift+Enter does not, blank text is not sent', () => {
  const { ui, calls } = setup();
  ui.open();
  type(ui.input, 'first line');
  const shift = key(ui.input, 'Enter', { shiftKey: true });
  assert.equal(shift.defaultPrevented, false, 'Shift+Enter keeps its newline');
  assert.deepEqual(calls.submit, []);
  const enter = key(ui.input, 'Enter');
  assert.ok(enter.defaultPrevented);
  assert.deepEqual(calls.submit, ['first line']);
  assert.equal(ui.input.value, '');
  assert.deepEqual(calls.draft, ['first line', '']);
  type(ui.input, '   ');
  key(ui.input, 'Enter');
  assert.deepEqual(calls.submit, ['first line']);
  const composing = key(ui.input, 'Enter', { isComposing: true });
  assert.equal(composing.defaultPrevented, false, 'Enter while composing (IME) does not send');
  type(ui.input, 'via the button');
  byText(ui.panel, 'button', 'Send').click();
  assert.deepEqual(calls.submit, ['first line', 'via the button']);
});

test('message text never becomes markup: hostile text stays text', () => {
  const { ui, doc } = setup();
  const before = doc.created.length;
  const evil = '<img src=x onerror=alert(1)><script>alert(2)</script>';
  ui.addMessage({ sender: 'bot', text: evil, buttons: [{ title: '<b>t</b>', payload: '"><img src=x>' }] });
  ui.addMessage({ sender: 'user', text: evil });
  const made = doc.created.slice(before);
  for (const tag of ['IMG', 'SCRIPT', 'B']) assert.ok(!made.includes(tag), tag + ' was created');
  const texts = textNodes(ui.log);
  assert.equal(texts.filter((t) => t === evil).length, 2);
  assert.ok(texts.includes('<b>t</b>'));
  // (the fake DOM throws on innerHTML/insertAdjacentHTML, so reaching here proves they were not used)
});

test('bot Markdown renders as strong/em/links; links open safely in a new tab', () => {
  const { ui } = setup();
  ui.addMessage({ sender: 'bot', text: '**Urgent:** see *now* [Book](https://clinic.example/book) [bad](javascript:alert(1))' });
  const msg = byClass(ui.log, 'cw-bot');
  assert.equal(byTag(msg, 'strong')[0].textContent, 'Urgent:');
  assert.equal(byTag(msg, 'em')[0].textContent, 'now');
  const links = byTag(msg, 'a');
  assert.equal(links.length, 1);
  assert.equal(links[0].getAttribute('href'), 'https://clinic.example/book');
  assert.equal(links[0].getAttribute('target'), '_blank');
  assert.equal(links[0].getAttribute('rel'), 'noopener noreferrer');
  assert.match(links[0].textContent, /^Book \(opens in a new tab\)$/);
  assert.ok(msg.textContent.includes('bad'));
});

test('renderNodes refuses unsafe hrefs even from a forged node description', () => {
  const doc = createDocument();
  const [node] = renderNodes(doc, [{ type: 'link', href: 'javascript:alert(1)', children: [{ type: 'text', text: 'x' }] }]);
  assert.equal(node.tagName, 'SPAN');
  assert.equal(node.getAttribute('href'), null);
});

test('visitor and assistant messages are distinct and labelled for screen readers', () => {
  const { ui } = setup();
  ui.addMessage({ sender: 'user', text: 'my back hurts' });
  ui.addMessage({ sender: 'bot', text: 'Sorry to hear that.' });
  const [user, bot] = allByClass(ui.log, 'cw-msg');
  assert.ok(user.hasClass('cw-user') && bot.hasClass('cw-bot'));
  assert.equal(byClass(user, 'cw-sr').textContent, 'You: ');
  assert.equal(byClass(bot, 'cw-sr').textContent, 'Assistant: ');
  assert.equal(user.textContent, 'You: my back hurts');
});

test('quick replies show their title, carry their payload, and report clicks', () => {
  const { ui, calls, doc } = setup();
  ui.open();
  ui.addMessage({
    sender: 'bot',
    text: 'New or returning?',
    buttons: [
      { title: "I'm new", payload: '/affirm{"patient_status": "new"}' },
      { title: "I've been before", payload: '/affirm{"patient_status": "returning"}' },
    ],
  });
  const group = byRole(ui.log, 'group');
  assert.equal(group.getAttribute('aria-label'), 'Suggested replies');
  const buttons = byTag(group, 'button');
  assert.deepEqual(
    buttons.map((b) => [b.textContent, b.getAttribute('data-payload'), b.getAttribute('type')]),
    [
      ["I'm new", '/affirm{"patient_status": "new"}', 'button'],
      ["I've been before", '/affirm{"patient_status": "returning"}', 'button'],
    ]
  );
  buttons[1].click();
  assert.deepEqual(calls.quickReply, [{ title: "I've been before", payload: '/affirm{"patient_status": "returning"}' }]);
  assert.equal(doc.activeElement, ui.input, 'focus goes to the text box, not lost with the button');
});

test('detachQuickReplies removes every usable group and can put them back', () => {
  const { ui } = setup();
  ui.addMessage({ sender: 'bot', text: 'a', buttons: [{ title: 'A', payload: '/a' }] });
  ui.addMessage({ sender: 'bot', text: 'b', buttons: [{ title: 'B', payload: '/b' }] });
  const restore = ui.detachQuickReplies();
  assert.equal(byTag(ui.log, 'button').length, 0);
  restore();
  assert.deepEqual(byTag(ui.log, 'button').map((b) => b.textContent), ['A', 'B']);
});

test('the typing indicator is announced politely and removed', () => {
  const { ui } = setup();
  const status = byRole(ui.panel, 'status');
  ui.setTyping(true);
  assert.match(status.textContent, /assistant is typing/);
  assert.equal(byClass(status, 'cw-dots').getAttribute('aria-hidden'), 'true');
  ui.setTyping(false);
  assert.equal(status.textContent, '');
});

test('errors: an alert with an optional Retry button', () => {
  const { ui, doc } = setup();
  ui.open();
  const retry = byText(ui.panel, 'button', 'Retry');
  assert.ok(isHidden(retry));
  let retried = 0;
  ui.showError('Could not reach the clinic.', () => retried++);
  assert.equal(byRole(ui.panel, 'alert').textContent, 'Could not reach the clinic.');
  assert.ok(!isHidden(retry));
  retry.click();
  assert.equal(retried, 1);
  assert.equal(byRole(ui.panel, 'alert').textContent, '');
  assert.ok(isHidden(retry));
  assert.equal(doc.activeElement, ui.input);
  ui.showError('Too long.', null);
  assert.ok(isHidden(retry));
});

test('a visitor message can be marked as not sent', () => {
  const { ui } = setup();
  const h = ui.addMessage({ sender: 'user', text: 'hello' });
  h.setFailed(true);
  assert.equal(byClass(h.el, 'cw-state').textContent, 'Not sent');
  h.setFailed(false);
  assert.equal(byClass(h.el, 'cw-state').textContent, '');
});

test('historyView: payloads show as their button titles; only the latest buttons stay', () => {
  const view = historyView([
    { sender: 'bot', text: 'Consent?', buttons: [{ title: 'Yes', payload: '/affirm' }] },
    { sender: 'user', text: '/affirm', buttons: [] },
    { sender: 'bot', text: 'New?', buttons: [{ title: "I'm new", payload: '/new' }] },
    { sender: 'user', text: '/unknown', buttons: [] },
    { sender: 'bot', text: 'Anything else?', buttons: [{ title: 'No', payload: '/deny' }] },
  ]);
  assert.deepEqual(
    view.map((m) => [m.sender, m.text, m.buttons.length]),
    [
      ['bot', 'Consent?', 0],
      ['user', 'Yes', 0],
      ['bot', 'New?', 0],
      ['user', '/unknown', 0],
      ['bot', 'Anything else?', 1],
    ]
  );
});
