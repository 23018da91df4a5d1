import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTransport, ChatError, TIMEOUT_MS, normalizeMessages } from '../src/transport.js';

const SERVER = 'https://bot.clinic.example';

function respond(status, body, headers = {}) {
  const raw = body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body);
  return {
    status,
    ok: status >= 200 && status < 300,
    headers: { get: (k) => headers[k] ?? headers[k.toLowerCase()] ?? null },
    text: async () => raw,
  };
}

// A fake fetch answering from a list of handlers, in order; records every call.
function fakeFetch(...answers) {
  const calls = [];
  const fn = async (url, init) => {
    const call = { url, method: init.method, body: init.body ? JSON.parse(init.body) : undefined, init };
    calls.push(call);
    const next = answers.shift();
    if (!next) throw new Error('unexpected request ' + init.method + ' ' + url);
    return typeof next === 'function' ? next(call) : next;
  };
  fn.calls = calls;
  return fn;
}

function setup(fetch, token = '') {
  const state = { token };
  const t = createTransport({
    server: SERVER,
    fetch,
    getToken: () => state.token,
    setToken: (v) => {
      state.token = v;
    },
    timeoutMs: 50,
  });
  return { t, state };
}

test('the default timeout is 15 seconds', () => {
  assert.equal(TIMEOUT_MS, 15000);
});

test('success: a session is created, then the message is sent with the token', async () => {
  const fetch = fakeFetch(
    respond(200, { token: 'signed-1' }),
    respond(200, {
      messages: [
        { text: 'Hello **there**', buttons: [{ title: 'Yes', payload: '/affirm' }, { title: 'No', payload: '/deny' }] },
        { text: 'Second' },
        { image: 'https://x/y.png' },
      ],
    })
  );
  const { t, state } = setup(fetch);
  const out = await t.send('hi');
  assert.deepEqual(out, [
    {
      sender: 'bot',
      text: 'Hello **there**',
      buttons: [
        { title: 'Yes', payload: '/affirm' },
        { title: 'No', payload: '/deny' },
      ],
    },
    { sender: 'bot', text: 'Second', buttons: [] },
  ]);
  assert.equal(state.token, 'signed-1');
  const [session, message] = fetch.calls;
  assert.equal(session.url, SERVER + '/webhooks/widget/session');
  assert.equal(session.method, 'POST');
  assert.equal(message.url, SERVER + '/webhooks/widget/message');
  assert.equal(message.method, 'POST');
  assert.deepEqual(message.body, { token: 'signed-1', text: 'hi' });
  assert.equal(message.init.headers['Content-Type'], 'text/plain;charset=UTF-8');
  assert.equal(message.init.credentials, 'omit');
  assert.ok(message.init.signal, 'every request carries an abort signal');
});

test('a stored token is reused without a new session', async () => {
  const fetch = fakeFetch(respond(200, { messages: [] }));
  const { t } = setup(fetch, 'stored');
  assert.deepEqual(await t.send('again'), []);
  assert.equal(fetch.calls.length, 1);
  assert.deepEqual(fetch.calls[0].body, { token: 'stored', text: 'again' });
});

test('401: a new session, then exactly one retry', async () => {
  const fetch = fakeFetch(
    respond(401, { error: 'bad_token', message: 'Your session expired.' }),
    respond(200, { token: 'fresh' }),
    respond(200, { messages: [{ text: 'ok' }] })
  );
  const { t, state } = setup(fetch, 'expired');
  const out = await t.send('hello');
  assert.deepEqual(out, [{ sender: 'bot', text: 'ok', buttons: [] }]);
  assert.equal(state.token, 'fresh');
  assert.deepEqual(
    fetch.calls.map((c) => [c.url.replace(SERVER, ''), c.body && c.body.token]),
    [
      ['/webhooks/widget/message', 'expired'],
      ['/webhooks/widget/session', undefined],
      ['/webhooks/widget/message', 'fresh'],
    ]
  );
});

test('401 again after the retry is an auth error, not a loop', async () => {
  const fetch = fakeFetch(
    respond(401, { error: 'bad_token', message: 'Expired.' }),
    respond(200, { token: 'fresh' }),
    respond(401, { error: 'bad_token', message: 'Still expired.' })
  );
  const { t } = setup(fetch, 'expired');
  await assert.rejects(t.send('hello'), (e) => e instanceof ChatError && e.kind === 'auth' && e.retryable);
  assert.equal(fetch.calls.length, 3);
});

test('429 is a retryable rate_limited error with the server message and Retry-After', async () => {
  const fetch = fakeFetch(respond(429, { error: 'rate_limited', message: 'Please slow down a little.' }, { 'Retry-After': '7' }));
  const { t } = setup(fetch, 'tok');
  await assert.rejects(t.send('x'), (e) => {
    assert.ok(e instanceof ChatError);
    assert.equal(e.kind, 'rate_limited');
    assert.equal(e.status, 429);
    assert.equal(e.code, 'rate_limited');
    assert.equal(e.message, 'Please slow down a little.');
    assert.equal(e.retryAfter, 7);
    assert.equal(e.retryable, true);
    return true;
  });
});

test('413 is a non-retryable too_long error with the server message', async () => {
  const fetch = fakeFetch(respond(413, { error: 'too_long', message: 'Please keep messages under 1000 characters.' }));
  const { t } = setup(fetch, 'tok');
  await assert.rejects(t.send('x'.repeat(5000)), (e) => {
    assert.equal(e.kind, 'too_long');
    assert.equal(e.message, 'Please keep messages under 1000 characters.');
    assert.equal(e.retryable, false);
    return true;
  });
});

test('400 is invalid; without a JSON body the message is ours', async () => {
  const fetch = fakeFetch(respond(400, 'Bad Request'));
  const { t } = setup(fetch, 'tok');
  await assert.rejects(t.send(' '), (e) => e.kind === 'invalid' && !e.retryable && /change it/.test(e.message));
});

test('5xx is a retryable server error and never shows the proxy/server text', async () => {
  const fetch = fakeFetch(respond(502, { message: 'upstream connect error, reset reason: overflow' }));
  const { t } = setup(fetch, 'tok');
  await assert.rejects(t.send('x'), (e) => e.kind === 'server' && e.retryable && !/upstream/.test(e.message));
});

test('network failure is a retryable network error', async () => {
  const fetch = fakeFetch(() => {
    throw new TypeError('Failed to fetch');
  });
  const { t } = setup(fetch, 'tok');
  await assert.rejects(t.send('x'), (e) => e instanceof ChatError && e.kind === 'network' && e.retryable);
});

test('a request that takes too long is aborted and becomes a timeout error', async () => {
  let aborted = false;
  const fetch = fakeFetch(
    (call) =>
      new Promise((resolve, reject) => {
        call.init.signal.addEventListener('abort', () => {
          aborted = true;
          reject(new DOMException('The operation was aborted.', 'AbortError'));
        });
      })
  );
  const { t } = setup(fetch, 'tok');
  const started = Date.now();
  await assert.rejects(t.send('x'), (e) => e.kind === 'timeout' && e.retryable);
  assert.ok(aborted);
  assert.ok(Date.now() - started < 2000);
});

test('a body that stalls past the timeout is a timeout too', async () => {
  const fetch = fakeFetch((call) => ({
    status: 200,
    ok: true,
    headers: { get: () => null },
    text: () =>
      new Promise((resolve, reject) => call.init.signal.addEventListener('abort', () => reject(new Error('aborted')))),
  }));
  const { t } = setup(fetch, 'tok');
  await assert.rejects(t.send('x'), (e) => e.kind === 'timeout');
});

test('a 200 that is not the expected JSON is a server error', async () => {
  const fetch = fakeFetch(respond(200, '<html>oops</html>'));
  const { t } = setup(fetch, 'tok');
  await assert.rejects(t.send('x'), (e) => e.kind === 'server');
});

test('concurrent sends share one session request', async () => {
  const fetch = fakeFetch(
    respond(200, { token: 'one' }),
    respond(200, { messages: [{ text: 'a' }] }),
    respond(200, { messages: [{ text: 'b' }] })
  );
  const { t } = setup(fetch);
  await Promise.all([t.send('1'), t.send('2')]);
  assert.equal(fetch.calls.filter((c) => c.url.endsWith('/session')).length, 1);
});

test('history: POST with the token in the body, never the URL; senders kept', async () => {
  const fetch = fakeFetch(
    respond(200, {
      messages: [
        { sender: 'user', text: 'hi' },
        { sender: 'bot', text: 'hello', buttons: [{ title: 'Book', payload: '/book' }] },
      ],
    })
  );
  const { t } = setup(fetch, 'a+b/c=');
  const out = await t.history();
  assert.equal(fetch.calls[0].method, 'POST');
  assert.equal(fetch.calls[0].url, SERVER + '/webhooks/widget/history');
  assert.deepEqual(fetch.calls[0].body, { token: 'a+b/c=' });
  assert.deepEqual(out, [
    { sender: 'user', text: 'hi', buttons: [] },
    { sender: 'bot', text: 'hello', buttons: [{ title: 'Book', payload: '/book' }] },
  ]);
});

test('history without a token asks nothing; with an expired one it forgets the token', async () => {
  const none = fakeFetch();
  assert.deepEqual(await setup(none).t.history(), []);
  assert.equal(none.calls.length, 0);
  const fetch = fakeFetch(respond(401, { error: 'bad_token', message: 'expired' }));
  const { t, state } = setup(fetch, 'old');
  assert.deepEqual(await t.history(), []);
  assert.equal(state.token, '');
});

test('deleteConversation: POST forget with the token, 204 and 401 both fine, network errors thrown', async () => {
  const fetch = fakeFetch(respond(204), respond(401, { error: 'bad_token', message: 'gone' }), () => {
    throw new TypeError('offline');
  });
  const { t } = setup(fetch, 'tok');
  await t.deleteConversation();
  assert.equal(fetch.calls[0].method, 'POST');
  assert.equal(fetch.calls[0].url, SERVER + '/webhooks/widget/forget');
  assert.deepEqual(fetch.calls[0].body, { token: 'tok' });
  await t.deleteConversation('other');
  await assert.rejects(t.deleteConversation('x'), (e) => e.kind === 'network');
});

test('normalizeMessages drops malformed parts', () => {
  assert.deepEqual(
    normalizeMessages({
      messages: [null, 5, { text: 7 }, { text: '', buttons: [{ title: 'Only title' }, { payload: '/x' }, { title: 3 }] }],
    }),
    [{ sender: 'bot', text: '', buttons: [{ title: 'Only title', payload: 'Only title' }] }]
  );
  assert.throws(() => normalizeMessages({ messages: 'no' }), ChatError);
});
