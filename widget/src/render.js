// Builds and updates the widget's DOM. Text only ever reaches the page through
// text nodes and attributes: no innerHTML anywhere.
import { parseMarkdown, safeHref } from './markdown.js';

export const LAUNCHER_LABEL = 'Open chat with the clinic assistant';
export const FEEDBACK = [
  [true, '\u{1F44D}', 'Helpful', 'This answer helped'],
  [false, '\u{1F44E}', 'Not helpful', 'This answer did not help'],
];
export const THANKS = 'Thanks for your feedback';
const BREAKPOINT = '(max-width: 599.98px)';

export function h(doc, tag, attrs, children) {
  const el = doc.createElement(tag);
  for (const k of Object.keys(attrs || {})) {
    const v = attrs[k];
    if (v !== null && v !== undefined && v !== false) el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children || []) el.appendChild(typeof c === 'string' ? doc.createTextNode(c) : c);
  return el;
}

// Markdown node descriptions -> DOM nodes.
export function renderNodes(doc, nodes) {
  return nodes.map((n) => {
    if (n.type === 'text') return doc.createTextNode(String(n.text));
    if (n.type === 'br') return doc.createElement('br');
    const children = renderNodes(doc, n.children || []);
    const href = n.type === 'link' ? safeHref(n.href) : '';
    if (href) {
      children.push(h(doc, 'span', { class: 'cw-sr' }, [' (opens in a new tab)']));
      return h(doc, 'a', { href, target: '_blank', rel: 'noopener noreferrer' }, children);
    }
    return h(doc, n.type === 'strong' ? 'strong' : n.type === 'em' ? 'em' : 'span', null, children);
  });
}

// Server history -> what to show: a visitor's quick-reply payload shows as the
// button's title, and only buttons after the visitor's last message stay usable.
export function historyView(messages) {
  let lastUser = -1;
  messages.forEach((m, i) => {
    if (m.sender === 'user') lastUser = i;
  });
  let offered = [];
  return messages.map((m, i) => {
    if (m.sender === 'user') {
      const hit = offered.find((b) => b.payload === m.text);
      offered = [];
      return { sender: 'user', text: hit ? hit.title : m.text, buttons: [] };
    }
    offered = offered.concat(m.buttons || []);
    const out = { sender: 'bot', text: m.text, buttons: i > lastUser ? m.buttons || [] : [] };
    if (m.feedback) out.feedback = m.feedback;
    return out;
  });
}

// on: {submit(text), quickReply({title, payload}), openChange(open), clear(), draft(text),
//      feedback(id, helpful)}
export function createUI(doc, mount, config, on) {
  const win = doc.defaultView || null;
  let live = []; // quick-reply groups still usable
  let retryFn = null;
  let open = false;
  let savedOverflow = null;

  const launcher = h(
    doc,
    'button',
    { type: 'button', class: 'cw-launcher', 'aria-label': LAUNCHER_LABEL, 'aria-expanded': 'false', 'aria-controls': 'cw-panel' },
    ['Chat']
  );
  const clearBtn = h(doc, 'button', { type: 'button', class: 'cw-clear' }, ['Clear conversation']);
  const closeBtn = h(doc, 'button', { type: 'button', class: 'cw-close', 'aria-label': 'Close chat' }, ['\u00d7']);
  const header = h(doc, 'div', { class: 'cw-header' }, [h(doc, 'h2', { class: 'cw-title' }, [config.title]), clearBtn, closeBtn]);
  const log = h(doc, 'div', { class: 'cw-log', role: 'log', 'aria-live': 'polite', 'aria-label': 'Conversation', tabindex: '0' });
  const status = h(doc, 'div', { class: 'cw-status', role: 'status', 'aria-live': 'polite' });
  const errorText = h(doc, 'p', { class: 'cw-error-text', role: 'alert' });
  const retryBtn = h(doc, 'button', { type: 'button', class: 'cw-retry', hidden: true }, ['Retry']);
  const input = h(doc, 'textarea', {
    id: 'cw-input',
    class: 'cw-input',
    rows: '1',
    placeholder: 'Type your message\u2026',
    autocomplete: 'off',
    enterkeyhint: 'send',
    'aria-describedby': 'cw-hint',
  });
  const form = h(doc, 'form', { class: 'cw-form', novalidate: true }, [
    h(doc, 'label', { for: 'cw-input', class: 'cw-sr' }, ['Your message']),
    h(doc, 'span', { id: 'cw-hint', class: 'cw-sr' }, ['Enter sends. Shift and Enter start a new line.']),
    input,
    h(doc, 'button', { type: 'submit', class: 'cw-send' }, ['Send']),
  ]);
  const panel = h(doc, 'div', { id: 'cw-panel', class: 'cw-panel', role: 'dialog', 'aria-label': config.title, hidden: true }, [
    header,
    log,
    status,
    h(doc, 'div', { class: 'cw-error' }, [errorText, retryBtn]),
    form,
  ]);
  const root = h(doc, 'div', { class: 'cw-root' }, [launcher, panel]);
  mount.appendChild(root);

  const isModal = () => !!(win && win.matchMedia && win.matchMedia(BREAKPOINT).matches);
  const scrollToEnd = () => {
    log.scrollTop = log.scrollHeight || 0;
  };

  function autosize() {
    if (!input.style) return;
    input.style.height = 'auto';
    if (input.scrollHeight) input.style.height = Math.min(input.scrollHeight + 4, 160) + 'px';
  }

  function setOpen(next, opts) {
    const focus = !opts || opts.focus !== false;
    if (next !== open) {
      open = next;
      const htmlStyle = doc.documentElement && doc.documentElement.style;
      if (next) {
        panel.removeAttribute('hidden');
        launcher.setAttribute('hidden', '');
        launcher.setAttribute('aria-expanded', 'true');
        if (isModal()) {
          // Full screen on phones: the page behind is out of reach, and does not scroll.
          panel.setAttribute('aria-modal', 'true');
          if (htmlStyle) {
            savedOverflow = htmlStyle.overflow || '';
            htmlStyle.overflow = 'hidden';
          }
        } else panel.removeAttribute('aria-modal');
        scrollToEnd();
        autosize();
      } else {
        panel.setAttribute('hidden', '');
        launcher.removeAttribute('hidden');
        launcher.setAttribute('aria-expanded', 'false');
        if (htmlStyle && savedOverflow !== null) htmlStyle.overflow = savedOverflow;
        savedOverflow = null;
      }
      if (on.openChange) on.openChange(next);
    }
    if (focus) (next ? input : launcher).focus();
  }

  // Keep Tab inside the panel while it covers the whole screen.
  function trapTab(e) {
    if (!panel.querySelectorAll || !panel.getRootNode) return;
    const items = Array.from(panel.querySelectorAll('button, textarea, a[href], [tabindex="0"]')).filter(
      (el) => !el.closest('[hidden]') && el.getClientRects().length
    );
    if (!items.length) return;
    const active = panel.getRootNode().activeElement;
    const target = e.shiftKey ? (active === items[0] ? items[items.length - 1] : null) : active === items[items.length - 1] ? items[0] : null;
    if (target) {
      e.preventDefault();
      target.focus();
    }
  }

  function submit() {
    const text = input.value.trim();
    if (!text) {
      input.focus();
      return;
    }
    input.value = '';
    autosize();
    if (on.draft) on.draft('');
    on.submit(text);
  }

  launcher.addEventListener('click', () => setOpen(true));
  closeBtn.addEventListener('click', () => setOpen(false));
  clearBtn.addEventListener('click', () => on.clear());
  retryBtn.addEventListener('click', () => {
    const f = retryFn;
    clearError();
    input.focus();
    if (f) f();
  });
  panel.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' || e.key === 'Esc') {
      e.preventDefault();
      e.stopPropagation();
      setOpen(false);
    } else if (e.key === 'Tab' && panel.getAttribute('aria-modal') === 'true') trapTab(e);
  });
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
      e.preventDefault();
      submit();
    }
  });
  input.addEventListener('input', () => {
    autosize();
    if (on.draft) on.draft(input.value);
  });
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    submit();
  });

  function quickReplies(buttons) {
    const group = h(doc, 'div', { class: 'cw-replies', role: 'group', 'aria-label': 'Suggested replies' });
    for (const b of buttons) {
      const btn = h(doc, 'button', { type: 'button', class: 'cw-reply', 'data-payload': b.payload }, [b.title]);
      btn.addEventListener('click', () => {
        on.quickReply({ title: b.title, payload: b.payload });
        input.focus();
      });
      group.appendChild(btn);
    }
    live.push(group);
    return group;
  }

  // A 👍 and a 👎 under an FAQ answer. rated: true/false once rated (then both are
  // aria-disabled, which keeps focus on the pressed one), null before.
  function feedbackGroup(id, rated) {
    const thanks = h(doc, 'span', { class: 'cw-thanks', 'aria-live': 'polite' });
    const buttons = FEEDBACK.map(([helpful, icon, title, label]) => {
      const btn = h(doc, 'button', { type: 'button', class: 'cw-rate', title, 'aria-label': label, 'aria-pressed': 'false' }, [
        h(doc, 'span', { 'aria-hidden': 'true' }, [icon]),
      ]);
      btn.addEventListener('click', () => {
        if (btn.getAttribute('aria-disabled')) return;
        mark(helpful);
        thanks.textContent = THANKS;
        if (on.feedback) on.feedback(id, helpful);
      });
      return btn;
    });
    function mark(helpful) {
      buttons.forEach((b, i) => {
        b.setAttribute('aria-pressed', String(FEEDBACK[i][0] === helpful));
        b.setAttribute('aria-disabled', 'true');
      });
    }
    if (rated === true || rated === false) {
      mark(rated);
      thanks.textContent = THANKS;
    }
    return h(doc, 'div', { class: 'cw-fb', role: 'group', 'aria-label': 'Was this answer helpful?' }, [
      h(doc, 'span', { class: 'cw-fb-q', 'aria-hidden': 'true' }, ['Was this helpful?']),
      ...buttons,
      thanks,
    ]);
  }

  // Adds one message; returns a handle to mark a visitor's message as not sent.
  function addMessage(msg) {
    const bot = msg.sender !== 'user';
    const body = h(doc, 'div', { class: 'cw-text' }, bot ? renderNodes(doc, parseMarkdown(msg.text)) : [msg.text]);
    const el = h(doc, 'div', { class: 'cw-msg ' + (bot ? 'cw-bot' : 'cw-user') }, [
      h(doc, 'span', { class: 'cw-sr' }, [bot ? 'Assistant: ' : 'You: ']),
      body,
    ]);
    const state = h(doc, 'span', { class: 'cw-state' });
    if (!bot) el.appendChild(state);
    if (bot && msg.buttons && msg.buttons.length) el.appendChild(quickReplies(msg.buttons));
    if (bot && msg.feedback) el.appendChild(feedbackGroup(msg.feedback, msg.rated));
    log.appendChild(el);
    return {
      el,
      setFailed(failed) {
        state.textContent = failed ? 'Not sent' : '';
      },
      remove() {
        if (el.parentNode) el.parentNode.removeChild(el);
      },
    };
  }

  return {
    root,
    launcher,
    panel,
    log,
    input,
    open: (opts) => setOpen(true, opts),
    close: (opts) => setOpen(false, opts),
    isOpen: () => open,
    isEmpty: () => !log.firstChild,
    addMessage(msg) {
      const handle = addMessage(msg);
      scrollToEnd();
      return handle;
    },
    // A batch of the assistant's messages: scroll to where the answer begins.
    addMessages(list) {
      let first = null;
      for (const m of list) {
        const handle = addMessage(m);
        first = first || handle.el;
      }
      if (first) log.scrollTop = Math.max(0, (first.offsetTop || 0) - 8);
    },
    addNotice(nodes) {
      log.appendChild(h(doc, 'div', { class: 'cw-msg cw-notice' }, renderNodes(doc, nodes)));
      scrollToEnd();
    },
    // Removes every usable quick reply; returns a function that puts them back.
    detachQuickReplies() {
      const removed = [];
      for (const g of live) {
        if (g.parentNode) {
          removed.push([g, g.parentNode]);
          g.parentNode.removeChild(g);
        }
      }
      live = [];
      return () => {
        for (const [g, parent] of removed) {
          if (parent.parentNode) {
            parent.appendChild(g);
            live.push(g);
          }
        }
      };
    },
    clearLog() {
      log.textContent = '';
      live = [];
    },
    setRestoring(busy) {
      log.setAttribute('aria-busy', busy ? 'true' : 'false');
    },
    setTyping(typing) {
      status.textContent = '';
      if (typing) {
        status.appendChild(h(doc, 'span', { class: 'cw-dots', 'aria-hidden': 'true' }, [h(doc, 'i'), h(doc, 'i'), h(doc, 'i')]));
        status.appendChild(h(doc, 'span', null, ['The assistant is typing\u2026']));
      }
    },
    showError(message, retry) {
      errorText.textContent = message;
      retryFn = retry || null;
      if (retryFn) retryBtn.removeAttribute('hidden');
      else retryBtn.setAttribute('hidden', '');
    },
    clearError,
    getDraft: () => input.value,
    setDraft(text) {
      input.value = text || '';
      autosize();
    },
    focusInput: () => input.focus(),
  };

  function clearError() {
    errorText.textContent = '';
    retryFn = null;
    retryBtn.setAttribute('hidden', '');
  }
}
