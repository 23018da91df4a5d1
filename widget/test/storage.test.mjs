import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createStorage, memoryBackend } from '../src/storage.js';

function fakeLocalStorage() {
  const m = new Map();
  return {
    map: m,
    getItem: (k) => (m.has(k) ? m.get(k) : null),
    setItem: (k, v) => m.set(k, String(v)),
    removeItem: (k) => m.delete(k),
  };
}

test('stores token, open state, draft, unsent text and shown flags under a prefix', () => {
  const ls = fakeLocalStorage();
  const s = createStorage({ backend: ls });
  assert.equal(s.getToken(), '');
  assert.equal(s.isOpen(), false);
  assert.equal(s.wasShown('welcome'), false);
  s.setToken('tok-1');
  s.setOpen(true);
  s.setDraft('my back hurts');
  s.setUnsent('unsent words');
  s.markShown('welcome');
  s.markShown('privacy');
  assert.equal(ls.getItem('clinic-chat:token'), 'tok-1');
  const again = createStorage({ backend: ls }); // a reload
  assert.equal(again.getToken(), 'tok-1');
  assert.equal(again.isOpen(), true);
  assert.equal(again.getDraft(), 'my back hurts');
  assert.equal(again.getUnsent(), 'unsent words');
  assert.equal(again.wasShown('welcome'), true);
  assert.equal(again.wasShown('privacy'), true);
  again.setOpen(false);
  again.setDraft('');
  assert.equal(again.isOpen(), false);
  assert.equal(ls.getItem('clinic-chat:draft'), null, 'an empty draft is removed, not stored');
});

test('clear() forgets everything of ours and nothing of the page', () => {
  const ls = fakeLocalStorage();
  ls.setItem('page-setting', 'keep me');
  const s = createStorage({ backend: ls });
  s.setToken('t');
  s.setOpen(true);
  s.setDraft('d');
  s.setUnsent('u');
  s.markShown('welcome');
  s.markShown('privacy');
  s.clear();
  assert.equal(s.getToken(), '');
  assert.equal(s.isOpen(), false);
  assert.equal(s.getDraft(), '');
  assert.equal(s.getUnsent(), '');
  assert.equal(s.wasShown('welcome'), false);
  assert.equal(s.wasShown('privacy'), false);
  assert.deepEqual([...ls.map.keys()], ['page-setting']);
});

test('falls back to memory when storage refuses writes (private mode, blocked storage)', () => {
  const broken = {
    getItem: () => null,
    setItem: () => {
      throw new Error('SecurityError');
    },
    removeItem: () => {},
  };
  const s = createStorage({ backend: broken });
  s.setToken('kept in memory');
  s.setOpen(true);
  assert.equal(s.getToken(), 'kept in memory');
  assert.equal(s.isOpen(), true);
  s.clear();
  assert.equal(s.getToken(), '');
});

test('falls back to memory when even reading localStorage throws', () => {
  const desc = Object.getOwnPropertyDescriptor(globalThis, 'localStorage');
  Object.defineProperty(globalThis, 'localStorage', {
    configurable: true,
    get() {
      throw new Error('SecurityError: access denied');
    },
  });
  try {
    const s = createStorage();
    s.setDraft('still works');
    assert.equal(s.getDraft(), 'still works');
  } finally {
    if (desc) Object.defineProperty(globalThis, 'localStorage', desc);
    else delete globalThis.localStorage;
  }
});

test('switches to memory when storage fails later (quota), keeping what it had', () => {
  const ls = fakeLocalStorage();
  let full = false;
  const flaky = {
    getItem: (k) => ls.getItem(k),
    setItem: (k, v) => {
      if (full) throw new Error('QuotaExceededError');
      ls.setItem(k, v);
    },
    removeItem: (k) => ls.removeItem(k),
  };
  const s = createStorage({ backend: flaky });
  s.setToken('before');
  full = true;
  s.setDraft('a long draft');
  assert.equal(s.getDraft(), 'a long draft');
  assert.equal(s.getToken(), 'before');
});

test('the memory backend behaves like Storage', () => {
  const m = memoryBackend();
  assert.equal(m.getItem('x'), null);
  m.setItem('x', 1);
  assert.equal(m.getItem('x'), '1');
  m.removeItem('x');
  assert.equal(m.getItem('x'), null);
});
