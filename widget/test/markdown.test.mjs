import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseMarkdown, plainText, safeHref } from '../src/markdown.js';

const text = (t) => ({ type: 'text', text: t });
const TYPES = new Set(['text', 'strong', 'em', 'link', 'br']);

function* nodes(list) {
  for (const n of list) {
    yield n;
    if (n.children) yield* nodes(n.children);
  }
}
const links = (list) => [...nodes(list)].filter((n) => n.type === 'link');

test('bold', () => {
  assert.deepEqual(parseMarkdown('Please **get care now.** Today'), [
    text('Please '),
    { type: 'strong', children: [text('get care now.')] },
    text(' Today'),
  ]);
});

test('italic with * and _', () => {
  assert.deepEqual(parseMarkdown('an *important* and _gentle_ note'), [
    text('an '),
    { type: 'em', children: [text('important')] },
    text(' and '),
    { type: 'em', children: [text('gentle')] },
    text(' note'),
  ]);
});

test('emphasis nests', () => {
  assert.deepEqual(parseMarkdown('**very *much* so**'), [
    { type: 'strong', children: [text('very '), { type: 'em', children: [text('much')] }, text(' so')] },
  ]);
});

test('lone or spaced markers stay text', () => {
  for (const s of ['2 * 3 * 4', 'snake_case_name', 'a ** b', '*unclosed', '__', '**', 'x_1 and y_2']) {
    assert.deepEqual(parseMarkdown(s), [text(s)], s);
  }
});

test('http and https links', () => {
  assert.deepEqual(parseMarkdown('Book [here](https://clinic.example/book?a=1&b=2) or [there](http://x.example/)'), [
    text('Book '),
    { type: 'link', href: 'https://clinic.example/book?a=1&b=2', children: [text('here')] },
    text(' or '),
    { type: 'link', href: 'http://x.example/', children: [text('there')] },
  ]);
});

test('link labels may be bold; URLs may hold balanced parentheses', () => {
  const out = parseMarkdown('[**Sciatica**](https://en.wikipedia.org/wiki/Sciatica_(disorder)).');
  assert.deepEqual(out, [
    {
      type: 'link',
      href: 'https://en.wikipedia.org/wiki/Sciatica_(disorder)',
      children: [{ type: 'strong', children: [text('Sciatica')] }],
    },
    text('.'),
  ]);
});

test('bare http(s) URLs become links without trailing punctuation', () => {
  assert.deepEqual(parseMarkdown('See https://clinic.example/faq. Thanks'), [
    text('See '),
    { type: 'link', href: 'https://clinic.example/faq', children: [text('https://clinic.example/faq')] },
    text('. Thanks'),
  ]);
});

test('javascript: and other non-http links are refused, leaving the label as text', () => {
  const bad = [
    'javascript:alert(1)',
    'JavaScript:alert(document.cookie)',
    ' javascript:alert(1)',
    'java\tscript:alert(1)',
    'data:text/html,<script>alert(1)</script>',
    'vbscript:msgbox(1)',
    'file:///etc/passwd',
    '//evil.example/x',
    '/relative/path',
    'mailto:someone@example.com',
    'https://exa mple.com',
    '',
  ];
  for (const url of bad) {
    const out = parseMarkdown('[click me](' + url + ') now');
    assert.equal(links(out).length, 0, url);
    assert.ok(plainText(out).includes('click me'), url);
    assert.equal(safeHref(url), '', url);
  }
  assert.equal(links(parseMarkdown('javascript:alert(1)')).length, 0);
});

test('HTML-looking text stays text, exactly', () => {
  for (const s of [
    '<img src=x onerror=alert(1)>',
    '<script>alert("x")</script>',
    '<a href="javascript:alert(1)">x</a>',
    '&lt;b&gt; &amp; "quotes" \'single\'',
    '<b>not bold</b>',
  ]) {
    assert.deepEqual(parseMarkdown(s), [text(s)], s);
  }
});

test('line breaks become br nodes', () => {
  assert.deepEqual(parseMarkdown('one\ntwo\r\nthree'), [text('one'), { type: 'br' }, text('two'), { type: 'br' }, text('three')]);
});

test('backslash escapes keep markers literal', () => {
  assert.deepEqual(parseMarkdown('\\*not italic\\* and \\[not](a link)'), [text('*not italic* and [not](a link)')]);
});

test('non-strings parse to nothing', () => {
  assert.deepEqual(parseMarkdown(undefined), []);
  assert.deepEqual(parseMarkdown(null), []);
  assert.deepEqual(parseMarkdown({ toString: () => '<b>' }), []);
});

test('random input never throws and only yields known node types and http(s) links', () => {
  const alphabet = ['*', '_', '[', ']', '(', ')', '\\', ' ', '\n', 'a', 'b', '<', '>', '"', 'javascript:', 'https://x.example/', 'http://', ':'];
  let seed = 42;
  const rand = (n) => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  for (let i = 0; i < 2000; i++) {
    let s = '';
    for (let j = rand(30); j > 0; j--) s += alphabet[rand(alphabet.length)];
    const out = parseMarkdown(s);
    for (const n of nodes(out)) {
      assert.ok(TYPES.has(n.type), s);
      if (n.type === 'text') assert.equal(typeof n.text, 'string');
      if (n.type === 'link') assert.match(n.href, /^https?:\/\//, s);
    }
  }
});
