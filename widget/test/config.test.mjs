import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readConfig, themeCss, DEFAULTS, COLORS } from '../src/config.js';

const script = (attrs) => ({ getAttribute: (k) => (k in attrs ? attrs[k] : null) });
const PAGE = 'https://www.clinic.example/contact?x=1';

test('reads the data attributes', () => {
  const c = readConfig(
    script({
      src: 'https://cdn.example/widget.js',
      'data-server': 'https://bot.clinic.example/',
      'data-title': ' Back Pain Clinic ',
      'data-welcome': 'Hi!',
      'data-privacy-url': 'https://www.clinic.example/privacy',
    }),
    PAGE
  );
  assert.deepEqual(c, {
    server: 'https://bot.clinic.example',
    title: 'Back Pain Clinic',
    welcome: 'Hi!',
    privacyUrl: 'https://www.clinic.example/privacy',
  });
});

test('defaults: the server is where the script came from', () => {
  const c = readConfig(script({ src: 'https://bot.clinic.example/static/widget.js' }), PAGE);
  assert.equal(c.server, 'https://bot.clinic.example');
  assert.equal(c.title, DEFAULTS.title);
  assert.equal(c.welcome, DEFAULTS.welcome);
  assert.equal(c.privacyUrl, '');
});

test('without a script tag, the page origin; a server path prefix is kept', () => {
  assert.equal(readConfig(null, PAGE).server, 'https://www.clinic.example');
  assert.equal(readConfig(script({ 'data-server': 'https://h.example/rasa/' }), PAGE).server, 'https://h.example/rasa');
});

test('unsafe URLs are ignored', () => {
  const c = readConfig(script({ 'data-server': 'javascript:alert(1)', 'data-privacy-url': 'javascript:alert(1)' }), PAGE);
  assert.equal(c.server, '');
  assert.equal(c.privacyUrl, '');
});

test('colours are CSS custom properties the page may override', () => {
  const css = themeCss();
  for (const name of ['accent', 'bg', 'fg']) assert.ok(css.includes('var(--cw-' + name + ',' + COLORS[name] + ')'), name);
});
