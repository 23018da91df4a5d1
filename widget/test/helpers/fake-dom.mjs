// A minimal fake DOM for the widget's tests: just what src/render.js and
// src/index.js use. innerHTML, outerHTML, insertAdjacentHTML and document.write
// throw, so any use of them fails the test that caused it.
// Run directly (node --test picks it up), it tests itself.
import { pathToFileURL } from 'node:url';

export class FakeEvent {
  constructor(type, init = {}) {
    Object.assign(this, { key: undefined, shiftKey: false, isComposing: false, keyCode: 0 }, init);
    this.type = type;
    this.defaultPrevented = false;
    this.propagationStopped = false;
  }
  preventDefault() {
    this.defaultPrevented = true;
  }
  stopPropagation() {
    this.propagationStopped = true;
  }
}

function forbidden(what) {
  throw new Error(what + ' is not allowed in the widget');
}

class FakeNode {
  constructor(doc) {
    this.ownerDocument = doc;
    this.parentNode = null;
    this.childNodes = [];
    this.listeners = {};
  }
  get firstChild() {
    return this.childNodes[0] || null;
  }
  get lastChild() {
    return this.childNodes[this.childNodes.length - 1] || null;
  }
  get children() {
    return this.childNodes.filter((n) => n.nodeType === 1);
  }
  appendChild(node) {
    if (!(node instanceof FakeNode)) throw new TypeError('appendChild: not a node: ' + String(node));
    if (node.parentNode) node.parentNode.removeChild(node);
    node.parentNode = this;
    this.childNodes.push(node);
    return node;
  }
  append(...nodes) {
    for (const n of nodes) this.appendChild(typeof n === 'string' ? this.ownerDocument.createTextNode(n) : n);
  }
  removeChild(node) {
    const i = this.childNodes.indexOf(node);
    if (i < 0) throw new Error('removeChild: not a child');
    this.childNodes.splice(i, 1);
    node.parentNode = null;
    return node;
  }
  remove() {
    if (this.parentNode) this.parentNode.removeChild(this);
  }
  get textContent() {
    return this.childNodes.map((c) => c.textContent).join('');
  }
  set textContent(value) {
    for (const c of this.childNodes) c.parentNode = null;
    this.childNodes = [];
    if (value !== '' && value !== null && value !== undefined) this.appendChild(this.ownerDocument.createTextNode(String(value)));
  }
  get innerHTML() {
    return forbidden('innerHTML');
  }
  set innerHTML(v) {
    forbidden('innerHTML');
  }
  get outerHTML() {
    return forbidden('outerHTML');
  }
  insertAdjacentHTML() {
    forbidden('insertAdjacentHTML');
  }
  addEventListener(type, fn) {
    (this.listeners[type] = this.listeners[type] || []).push(fn);
  }
  removeEventListener(type, fn) {
    this.listeners[type] = (this.listeners[type] || []).filter((f) => f !== fn);
  }
  // Bubbles from the target up through its ancestors (and out of a shadow root).
  dispatchEvent(event) {
    if (!event.target) event.target = this;
    for (let n = this; n && !event.propagationStopped; n = n.parentNode || n.host) {
      event.currentTarget = n;
      for (const fn of (n.listeners[event.type] || []).slice()) fn.call(n, event);
    }
    return !event.defaultPrevented;
  }
}

class FakeText extends FakeNode {
  constructor(doc, data) {
    super(doc);
    this.nodeType = 3;
    this.data = String(data);
  }
  get textContent() {
    return this.data;
  }
  set textContent(v) {
    this.data = String(v);
  }
}

export class FakeElement extends FakeNode {
  constructor(doc, tag) {
    super(doc);
    this.nodeType = 1;
    this.tagName = String(tag).toUpperCase();
    this.attributes = new Map();
    this.style = {};
    this.value = '';
    this.scrollTop = 0;
    this.shadowRoot = null;
  }
  setAttribute(name, value) {
    this.attributes.set(String(name).toLowerCase(), String(value));
  }
  getAttribute(name) {
    const k = String(name).toLowerCase();
    return this.attributes.has(k) ? this.attributes.get(k) : null;
  }
  hasAttribute(name) {
    return this.attributes.has(String(name).toLowerCase());
  }
  removeAttribute(name) {
    this.attributes.delete(String(name).toLowerCase());
  }
  get id() {
    return this.getAttribute('id') || '';
  }
  get className() {
    return this.getAttribute('class') || '';
  }
  hasClass(name) {
    return this.className.split(/\s+/).includes(name);
  }
  focus() {
    this.ownerDocument.activeElement = this;
  }
  blur() {
    if (this.ownerDocument.activeElement === this) this.ownerDocument.activeElement = this.ownerDocument.body;
  }
  attachShadow() {
    this.shadowRoot = new FakeNode(this.ownerDocument);
    this.shadowRoot.host = this;
    return this.shadowRoot;
  }
  click() {
    this.dispatchEvent(new FakeEvent('click'));
    if (this.tagName === 'BUTTON' && (this.getAttribute('type') || 'submit') === 'submit') {
      let form = this.parentNode;
      while (form && form.tagName !== 'FORM') form = form.parentNode;
      if (form) form.dispatchEvent(new FakeEvent('submit'));
    }
  }
}

export function createDocument(options = {}) {
  const created = [];
  const doc = {
    readyState: options.readyState || 'complete',
    currentScript: null,
    activeElement: null,
    defaultView: options.window || null,
    created, // every tag name ever created, in order
    listeners: {},
    createElement(tag) {
      created.push(String(tag).toUpperCase());
      return new FakeElement(doc, tag);
    },
    createTextNode(text) {
      return new FakeText(doc, text);
    },
    addEventListener(type, fn) {
      (doc.listeners[type] = doc.listeners[type] || []).push(fn);
    },
    getElementById(id) {
      return find(doc.documentElement, (n) => n.id === id);
    },
    querySelector() {
      return null;
    },
    write() {
      forbidden('document.write');
    },
  };
  doc.documentElement = new FakeElement(doc, 'html');
  doc.head = doc.documentElement.appendChild(new FakeElement(doc, 'head'));
  doc.body = doc.documentElement.appendChild(new FakeElement(doc, 'body'));
  doc.activeElement = doc.body;
  return doc;
}

// Depth-first walk, entering shadow roots.
export function* walk(node) {
  if (!node) return;
  yield node;
  if (node.shadowRoot) yield* walk(node.shadowRoot);
  for (const c of node.childNodes) yield* walk(c);
}

export function find(root, pred) {
  for (const n of walk(root)) if (n.nodeType === 1 && pred(n)) return n;
  return null;
}

export function findAll(root, pred) {
  const out = [];
  for (const n of walk(root)) if (n.nodeType === 1 && pred(n)) out.push(n);
  return out;
}

export const byClass = (root, cls) => find(root, (n) => n.hasClass(cls));
export const allByClass = (root, cls) => findAll(root, (n) => n.hasClass(cls));
export const byRole = (root, role) => find(root, (n) => n.getAttribute('role') === role);
export const byTag = (root, tag) => findAll(root, (n) => n.tagName === tag.toUpperCase());
export const byText = (root, tag, text) => find(root, (n) => n.tagName === tag.toUpperCase() && n.textContent === text);

// Hidden by its own or an ancestor's `hidden` attribute.
export function isHidden(node) {
  for (let n = node; n; n = n.parentNode || n.host) if (n.hasAttribute && n.hasAttribute('hidden')) return true;
  return false;
}

export function key(target, k, init = {}) {
  const e = new FakeEvent('keydown', Object.assign({ key: k }, init));
  target.dispatchEvent(e);
  return e;
}

export function type(input, text) {
  input.value = text;
  input.dispatchEvent(new FakeEvent('input'));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { test } = await import('node:test');
  const assert = await import('node:assert/strict');
  test('the fake DOM refuses HTML strings', () => {
    const doc = createDocument();
    const el = doc.createElement('div');
    assert.throws(() => {
      el.innerHTML = '<b>x</b>';
    }, /innerHTML/);
    assert.throws(() => el.insertAdjacentHTML('beforeend', 'x'), /insertAdjacentHTML/);
    assert.throws(() => doc.write('x'), /document.write/);
  });
  test('the fake DOM bubbles events and replaces text', () => {
    const doc = createDocument();
    const outer = doc.body.appendChild(doc.createElement('div'));
    const inner = outer.appendChild(doc.createElement('span'));
    const seen = [];
    outer.addEventListener('keydown', (e) => seen.push(e.target === inner));
    key(inner, 'Escape');
    assert.deepEqual(seen, [true]);
    inner.textContent = 'a';
    inner.textContent = 'b';
    assert.equal(outer.textContent, 'b');
    assert.equal(inner.childNodes.length, 1);
  });
}
