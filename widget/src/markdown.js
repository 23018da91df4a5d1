// A deliberately small Markdown subset for the assistant's text, parsed into plain
// node descriptions (never HTML strings):
//   {type: 'text', text} | {type: 'strong' | 'em', children}
//   {type: 'link', href, children} | {type: 'br'}
// Supported: **bold**, *italic*, _italic_, [label](http(s) URL), bare http(s) URLs,
// line breaks, and backslash escapes. Everything else stays text.

const ESCAPABLE = '\\*_[]()';
const MAX_DEPTH = 4;

// A safe link target: an absolute http: or https: URL, normalised; else ''.
export function safeHref(url) {
  if (typeof url !== 'string' || !/^https?:\/\/[^\s]+$/i.test(url)) return '';
  try {
    const u = new URL(url);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : '';
  } catch (e) {
    return '';
  }
}

const isWordChar = (c) => !!c && /[\p{L}\p{N}]/u.test(c);
const isSpace = (c) => !c || /\s/.test(c);

// Index of the closing delimiter for emphasis starting at `from`, or -1.
function closeOf(s, delim, from) {
  let j = s.indexOf(delim, from);
  while (j >= 0) {
    const ok =
      j > from &&
      !isSpace(s[j - 1]) &&
      (delim !== '*' || s[j + 1] !== '*') &&
      (delim !== '_' || !isWordChar(s[j + delim.length]));
    if (ok) return j;
    j = s.indexOf(delim, j + (delim === '*' && s[j + 1] === '*' ? 2 : 1));
  }
  return -1;
}

// [label](url) at i: {end, label, url} or null. URLs may hold balanced parentheses.
function linkAt(s, i) {
  const mid = s.indexOf('](', i + 1);
  if (mid < 0 || s.lastIndexOf('[', mid) !== i) return null;
  let depth = 0;
  for (let k = mid + 2; k < s.length; k++) {
    const c = s[k];
    if (c === '(') depth++;
    else if (c === ')') {
      if (depth === 0) return { end: k + 1, label: s.slice(i + 1, mid), url: s.slice(mid + 2, k).trim() };
      depth--;
    }
  }
  return null;
}

function inline(s, depth, inLink) {
  const nodes = [];
  let buf = '';
  const flush = () => {
    if (buf) nodes.push({ type: 'text', text: buf });
    buf = '';
  };
  const push = (node) => {
    flush();
    nodes.push(node);
  };
  let i = 0;
  while (i < s.length) {
    const c = s[i];
    const next = s[i + 1];
    if (c === '\\' && next && ESCAPABLE.indexOf(next) >= 0) {
      buf += next;
      i += 2;
      continue;
    }
    if (depth < MAX_DEPTH) {
      if (c === '*' && next === '*' && !isSpace(s[i + 2])) {
        const end = closeOf(s, '**', i + 2);
        if (end > 0) {
          push({ type: 'strong', children: inline(s.slice(i + 2, end), depth + 1, inLink) });
          i = end + 2;
          continue;
        }
      }
      if ((c === '*' || (c === '_' && !isWordChar(s[i - 1]))) && !isSpace(next) && next !== c) {
        const end = closeOf(s, c, i + 1);
        if (end > 0) {
          push({ type: 'em', children: inline(s.slice(i + 1, end), depth + 1, inLink) });
          i = end + 1;
          continue;
        }
      }
      if (c === '[' && !inLink) {
        const link = linkAt(s, i);
        if (link && link.label.trim()) {
          const href = safeHref(link.url);
          const children = inline(link.label, depth + 1, true);
          // A refused target (javascript:, data:, relative...) leaves only its label.
          if (href) push({ type: 'link', href, children });
          else for (const n of children) push(n);
          i = link.end;
          continue;
        }
      }
    }
    if (c === 'h' && !inLink && !isWordChar(s[i - 1]) && /^https?:\/\//i.test(s.slice(i, i + 8))) {
      let url = /^\S+/.exec(s.slice(i))[0];
      url = url.replace(/[.,;:!?'"*_]+$/, '');
      if (url.endsWith(')') && url.split('(').length < url.split(')').length) url = url.slice(0, -1);
      const href = safeHref(url);
      if (href) {
        push({ type: 'link', href, children: [{ type: 'text', text: url }] });
        i += url.length;
        continue;
      }
    }
    buf += c;
    i++;
  }
  flush();
  return merge(nodes);
}

function merge(nodes) {
  const out = [];
  for (const n of nodes) {
    const last = out[out.length - 1];
    if (n.type === 'text' && last && last.type === 'text') last.text += n.text;
    else out.push(n);
  }
  return out;
}

export function parseMarkdown(input) {
  const text = typeof input === 'string' ? input.replace(/\r\n?/g, '\n') : '';
  const out = [];
  text.split('\n').forEach((line, i) => {
    if (i) out.push({ type: 'br' });
    for (const n of inline(line, 0, false)) out.push(n);
  });
  return merge(out);
}

// The plain text of a node list (for tests and accessible names).
export function plainText(nodes) {
  return nodes.map((n) => (n.type === 'text' ? n.text : n.type === 'br' ? '\n' : plainText(n.children))).join('');
}
