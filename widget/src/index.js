// Entry point: reads the script tag, injects the styles, builds the UI and wires
// the conversation to the server and to storage.
import { readConfig, themeCss } from './config.js';
import { createStorage } from './storage.js';
import { createTransport } from './transport.js';
import { createUI } from './render.js';
import { createChat } from './chat.js';
import css from './widget.css';

const HOST_ID = 'clinic-chat-widget';
// document.currentScript only exists while this script first runs.
const script = document.currentScript || document.querySelector('script[src*="widget"][data-server]');
const config = readConfig(script, location.href);
if (!config.server) console.error('Clinic chat widget: data-server must be an http(s) URL.');

function boot() {
  if (document.getElementById(HOST_ID)) return; // embedded twice
  const host = document.createElement('div');
  host.setAttribute('id', HOST_ID);
  document.body.appendChild(host);
  // A shadow root keeps the page's CSS out; colours still inherit through it.
  const mount = host.attachShadow ? host.attachShadow({ mode: 'open' }) : host;
  const style = document.createElement('style');
  style.textContent = themeCss() + css;
  mount.appendChild(style);

  const storage = createStorage();
  const transport = createTransport({ server: config.server, getToken: storage.getToken, setToken: storage.setToken });
  let chat = null;
  const ui = createUI(document, mount, config, {
    submit: (text) => chat.submit(text),
    quickReply: (b) => chat.quickReply(b),
    openChange: (open) => chat.openChange(open),
    clear: () => chat.clear(),
    draft: (text) => chat.draft(text),
    feedback: (id, helpful) => chat.feedback(id, helpful),
  });
  chat = createChat({ ui, transport, storage, config });
  chat.start();
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', boot);
else boot();
