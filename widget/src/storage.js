// Remembers the conversation token, open/closed state, the draft, text that could
// not be sent, and which one-time notices were shown. Uses localStorage when it
// works and falls back to memory when it does not (private mode, blocked storage,
// sandboxed iframes, full quota).

const KEYS = ['token', 'open', 'draft', 'unsent', 'shown:welcome', 'shown:privacy', 'rated'];
// how many answers' ratings are remembered ("<id>:1" helpful, "<id>:0" not)
const MAX_RATED = 50;

export function memoryBackend() {
  const m = new Map();
  return {
    getItem: (k) => (m.has(k) ? m.get(k) : null),
    setItem: (k, v) => {
      m.set(k, String(v));
    },
    removeItem: (k) => {
      m.delete(k);
    },
  };
}

function usable(get) {
  try {
    const s = get();
    const probe = '__cw_probe__';
    s.setItem(probe, probe);
    s.removeItem(probe);
    return s;
  } catch (e) {
    return null;
  }
}

// options.backend: a Storage-like object (default: localStorage); options.prefix.
export function createStorage(options = {}) {
  const prefix = options.prefix || 'clinic-chat:';
  let backend = usable(() => options.backend || globalThis.localStorage) || memoryBackend();

  // On any failure, move what we can read into memory and carry on there.
  function run(op) {
    try {
      return op(backend);
    } catch (e) {
      const old = backend;
      backend = memoryBackend();
      for (const k of KEYS) {
        try {
          const v = old.getItem(prefix + k);
          if (v !== null) backend.setItem(prefix + k, v);
        } catch (e2) {
          // unreadable: nothing to keep
        }
      }
      return op(backend);
    }
  }
  const get = (k) => run((s) => s.getItem(prefix + k));
  const set = (k, v) =>
    run((s) => (v === null || v === undefined || v === '' ? s.removeItem(prefix + k) : s.setItem(prefix + k, v)));

  return {
    getToken: () => get('token') || '',
    setToken: (t) => set('token', t || ''),
    isOpen: () => get('open') === '1',
    setOpen: (open) => set('open', open ? '1' : ''),
    getDraft: () => get('draft') || '',
    setDraft: (text) => set('draft', text || ''),
    getUnsent: () => get('unsent') || '',
    setUnsent: (text) => set('unsent', text || ''),
    wasShown: (name) => get('shown:' + name) === '1',
    markShown: (name) => set('shown:' + name, '1'),
    // true (helpful), false (not) or null (not rated) for an answer's id
    rated(id) {
      const hit = (get('rated') || '').split(' ').find((r) => r.slice(0, -2) === id);
      return hit ? hit.slice(-1) === '1' : null;
    },
    setRated(id, helpful) {
      const kept = (get('rated') || '').split(' ').filter((r) => r && r.slice(0, -2) !== id);
      kept.push(id + ':' + (helpful ? 1 : 0));
      set('rated', kept.slice(-MAX_RATED).join(' '));
    },
    // Forget everything this widget stored (only its own keys).
    clear: () => {
      for (const k of KEYS) set(k, '');
    },
  };
}
