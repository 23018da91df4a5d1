// Talks to the server's widget channel over HTTPS fetch, with a timeout on every
// request. Every failure becomes a ChatError with a kind the UI can act on.

export const TIMEOUT_MS = 15000;
const BASE = '/webhooks/widget/';
// the id the server gives an FAQ answer, for its 👍 and 👎
const ANSWER_ID = /^\d{1,12}\.\d{6}$/;

const MESSAGES = {
  invalid: 'That message could not be sent. Please change it and try again.',
  too_long: 'That message is too long. Please shorten it and try again.',
  rate_limited: 'Too many messages at once. Please wait a moment, then try again.',
  auth: 'The chat could not be started. Please try again.',
  timeout: 'The assistant is taking too long to answer. Please try again.',
  network: "The clinic's assistant can't be reached. Please check your internet connection and try again.",
  server: "Something went wrong on the clinic's side. Please try again in a moment.",
};

// invalid and too_long need a changed message; everything else may simply be retried.
const NOT_RETRYABLE = ['invalid', 'too_long'];

export class ChatError extends Error {
  constructor(kind, message, info = {}) {
    super(message || MESSAGES[kind] || MESSAGES.server);
    this.name = 'ChatError';
    this.kind = kind;
    this.status = info.status || 0;
    this.code = info.code || '';
    this.retryAfter = info.retryAfter || 0;
    this.retryable = NOT_RETRYABLE.indexOf(kind) < 0;
  }
}

export function kindForStatus(status) {
  if (status === 400 || status === 422) return 'invalid';
  if (status === 401) return 'auth';
  if (status === 413) return 'too_long';
  if (status === 429) return 'rate_limited';
  return 'server';
}

function errorFor(res, data) {
  const kind = kindForStatus(res.status);
  // Only 4xx bodies are our server's words; a 5xx may come from a proxy.
  const own = res.status < 500 && data && typeof data.message === 'string' ? data.message.trim().slice(0, 300) : '';
  const retryAfter = parseInt((res.headers && res.headers.get && res.headers.get('Retry-After')) || '', 10);
  return new ChatError(kind, own, {
    status: res.status,
    code: data && typeof data.error === 'string' ? data.error : '',
    retryAfter: retryAfter > 0 ? retryAfter : 0,
  });
}

// The server's {"messages": [...]} as [{sender, text, buttons: [{title, payload}]}], with
// feedback (the answer's id) on the FAQ answers that take a 👍 or 👎.
export function normalizeMessages(data) {
  if (!data || !Array.isArray(data.messages)) throw new ChatError('server');
  const out = [];
  for (const m of data.messages) {
    if (!m || typeof m !== 'object') continue;
    const buttons = [];
    for (const b of Array.isArray(m.buttons) ? m.buttons : []) {
      if (b && typeof b.title === 'string' && b.title.trim()) {
        buttons.push({ title: b.title, payload: typeof b.payload === 'string' && b.payload ? b.payload : b.title });
      }
    }
    const text = typeof m.text === 'string' ? m.text : '';
    if (!text && !buttons.length) continue;
    const msg = { sender: m.sender === 'user' ? 'user' : 'bot', text, buttons };
    if (msg.sender === 'bot' && ANSWER_ID.test(m.feedback)) msg.feedback = m.feedback;
    out.push(msg);
  }
  return out;
}

// options: server (base URL), getToken(), setToken(token), fetch, timeoutMs.
export function createTransport(options) {
  const server = options.server || '';
  const timeoutMs = options.timeoutMs || TIMEOUT_MS;
  const doFetch = options.fetch || ((url, init) => globalThis.fetch(url, init));
  const { getToken, setToken } = options;
  let pendingSession = null;

  async function request(method, path, body) {
    if (!server) throw new ChatError('network');
    const ctrl = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      ctrl.abort();
    }, timeoutMs);
    try {
      const init = { method, signal: ctrl.signal, credentials: 'omit', cache: 'no-store', headers: { Accept: 'application/json' } };
      if (body) {
        // text/plain keeps the request CORS-simple: no preflight, so the site's origin only
        // needs to be allowed in the server's answer (the body is still JSON).
        init.headers['Content-Type'] = 'text/plain;charset=UTF-8';
        init.body = JSON.stringify(body);
      }
      let res;
      let data = null;
      try {
        res = await doFetch(server + BASE + path, init);
        const raw = res.status === 204 ? '' : await res.text();
        try {
          data = raw ? JSON.parse(raw) : null;
        } catch (e) {
          data = null;
        }
      } catch (e) {
        throw new ChatError(timedOut ? 'timeout' : 'network');
      }
      if (!res.ok) throw errorFor(res, data);
      return data;
    } finally {
      clearTimeout(timer);
    }
  }

  // One session request at a time, however many callers need a token.
  function newSession() {
    if (!pendingSession) {
      pendingSession = request('POST', 'session', {})
        .then((data) => {
          if (!data || typeof data.token !== 'string' || !data.token) throw new ChatError('server');
          setToken(data.token);
          return data.token;
        })
        .finally(() => {
          pendingSession = null;
        });
    }
    return pendingSession;
  }

  async function send(text) {
    const token = getToken() || (await newSession());
    let data;
    try {
      data = await request('POST', 'message', { token, text });
    } catch (e) {
      if (e.kind !== 'auth') throw e;
      // Expired or unknown token: a new conversation, then one retry.
      setToken('');
      data = await request('POST', 'message', { token: await newSession(), text });
    }
    return normalizeMessages(data).map((m) => Object.assign(m, { sender: 'bot' }));
  }

  async function history() {
    const token = getToken();
    if (!token) return [];
    try {
      // the token travels in the body, never in the URL (where logs and proxies keep it)
      return normalizeMessages(await request('POST', 'history', { token }));
    } catch (e) {
      if (e.kind !== 'auth') throw e;
      setToken('');
      return [];
    }
  }

  async function deleteConversation(token = getToken()) {
    if (!token) return;
    try {
      await request('POST', 'forget', { token });
    } catch (e) {
      // Already gone (expired token) is what we wanted.
      if (e.kind !== 'auth') throw e;
    }
  }

  // A 👍 (helpful) or 👎 on one answer. No new conversation on 401: the answer was in the old one.
  async function feedback(id, helpful) {
    const token = getToken();
    if (token) await request('POST', 'feedback', { token, id, helpful: !!helpful });
  }

  return { newSession, send, history, deleteConversation, feedback };
}
