// Builds dist/widget.js and holds it to the size budget: 15 KB gzipped, CSS included.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { build } from '../build.mjs';

const BUDGET = 15 * 1024;

test('dist/widget.js is at most 15 KB gzipped', () => {
  const { path, code } = build();
  assert.equal(readFileSync(path, 'utf8'), code, 'the build wrote the file it returned');
  const size = gzipSync(code, { level: 9 }).length;
  assert.ok(size <= BUDGET, 'widget.js is ' + size + ' bytes gzipped, over the ' + BUDGET + '-byte budget');
});

test('the bundle is one IIFE with the CSS inside and no HTML-string APIs', () => {
  const { code } = build();
  assert.match(code, /^\/\*[^\n]*\*\/\n\(function \(\) \{/);
  assert.match(code, /\}\)\(\);\n$/);
  assert.ok(code.includes('.cw-panel{'), 'the CSS is bundled');
  assert.ok(!/^\s*(import|export)\b/m.test(code), 'no module syntax left');
  for (const api of ['innerHTML', 'outerHTML', 'insertAdjacentHTML', 'document.write', 'eval(', 'new Function', 'WebSocket']) {
    assert.ok(!code.includes(api), api + ' appears in the bundle');
  }
});
