// Reads the embedding <script data-*> tag, with defaults. Colours are CSS custom
// properties: the page may set --cw-accent, --cw-bg, --cw-fg (and --cw-accent-fg,
// the text colour on the accent) anywhere above the widget, e.g. on :root.

export const DEFAULTS = {
  title: 'Clinic assistant',
  welcome: "Hello! I'm the clinic's virtual assistant. I can answer questions about sciatica, dry needling and the clinic, and help you ask for an appointment. I can't give medical advice: if your symptoms are sudden or severe, please get urgent medical care.",
};

export const COLORS = {
  accent: '#0b5cad',
  bg: '#ffffff',
  fg: '#1b1b1b',
  'accent-fg': '#ffffff',
};

// The widget's own short variables, each defaulting to the page's override.
export function themeCss() {
  const map = { a: 'accent', b: 'bg', f: 'fg', af: 'accent-fg' };
  let decl = '';
  for (const k of Object.keys(map)) decl += '--cw-' + k + ':var(--cw-' + map[k] + ',' + COLORS[map[k]] + ');';
  return '.cw-root{' + decl + '}';
}

// An absolute http(s) URL without query or fragment and without a trailing slash.
function baseUrl(value, base) {
  try {
    const u = new URL(value, base);
    if (u.protocol !== 'https:' && u.protocol !== 'http:') return '';
    return (u.origin + u.pathname).replace(/\/+$/, '');
  } catch (e) {
    return '';
  }
}

export function httpUrl(value) {
  if (!/^https?:\/\//i.test(value || '')) return '';
  try {
    return new URL(value).href;
  } catch (e) {
    return '';
  }
}

// script: the <script> element (or null); pageUrl: location.href.
export function readConfig(script, pageUrl) {
  const attr = (name) => {
    const v = script && script.getAttribute ? script.getAttribute('data-' + name) : null;
    return typeof v === 'string' ? v.trim() : '';
  };
  const src = script && script.getAttribute ? script.getAttribute('src') : '';
  let server = attr('server');
  if (server) server = baseUrl(server, pageUrl);
  else {
    // Default: the origin the script itself was loaded from, else the page's.
    const from = baseUrl(src || pageUrl || '', pageUrl);
    server = from ? new URL(from).origin : '';
  }
  return {
    server,
    title: attr('title') || DEFAULTS.title,
    welcome: attr('welcome') || DEFAULTS.welcome,
    privacyUrl: httpUrl(attr('privacy-url')),
  };
}
