// Bundles src/ into one IIFE, dist/widget.js. Plain Node, no dependencies.
//
// Each ES module becomes a function scope in dependency order:
//   import { a, b as c } from './x.js'  ->  const { a, b: c } = __m["x.js"];
//   export function f / const x / ...   ->  kept, and returned as the module's exports
//   import css from './widget.css'      ->  const css = "<minified CSS>";
// Only these forms are supported; anything else fails the build. Whole-line comments
// and indentation are dropped (so no multi-line template literals in src/).
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Script } from 'node:vm';

const here = dirname(fileURLToPath(import.meta.url));
const SRC = join(here, 'src');
export const OUT = join(here, 'dist', 'widget.js');

export function minifyCss(css) {
  return css
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/\s+/g, ' ')
    .replace(/\s*([{};,>])\s*/g, '$1')
    .replace(/:\s+/g, ':')
    .replace(/;}/g, '}')
    .trim();
}

function stripJs(code) {
  return code
    .replace(/^\s*\/\*[\s\S]*?\*\/\s*$/gm, '')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('//'))
    .join('\n');
}

function transform(file, code) {
  const deps = [];
  const exported = [];
  let out = code.replace(/^import\s+(\w+)\s+from\s+['"]\.\/([\w-]+\.css)['"];?/gm, (_, name, css) => {
    return 'const ' + name + ' = ' + JSON.stringify(minifyCss(readFileSync(join(SRC, css), 'utf8'))) + ';';
  });
  out = out.replace(/^import\s*\{([^}]*)\}\s*from\s*['"]\.\/([\w-]+\.js)['"];?/gm, (_, names, dep) => {
    deps.push(dep);
    const binds = names
      .split(',')
      .map((n) => n.trim())
      .filter(Boolean)
      .map((n) => n.replace(/^(\w+)\s+as\s+(\w+)$/, '$1: $2'));
    return 'const { ' + binds.join(', ') + ' } = __m[' + JSON.stringify(dep) + '];';
  });
  out = out.replace(/^export\s+((?:async\s+)?function\*?|const|let|var|class)\s+(\w+)/gm, (_, kind, name) => {
    exported.push(name);
    return kind + ' ' + name;
  });
  const leftover = /^\s*(import|export)\b.*$/m.exec(out);
  if (leftover) throw new Error(file + ': unsupported module syntax: ' + leftover[0]);
  return { deps, exported, code: out };
}

// Modules reachable from the entry, dependencies first.
function ordered(entry) {
  const done = new Map();
  const visiting = new Set();
  const visit = (file) => {
    if (done.has(file)) return;
    if (visiting.has(file)) throw new Error('import cycle through ' + file);
    visiting.add(file);
    const mod = transform(file, readFileSync(join(SRC, file), 'utf8'));
    mod.deps.forEach(visit);
    visiting.delete(file);
    done.set(file, mod);
  };
  visit(entry);
  return done;
}

export function bundle(entry = 'index.js') {
  const parts = ['(function () {', "'use strict';", 'const __m = {};'];
  for (const [file, mod] of ordered(entry)) {
    const body = stripJs(mod.code);
    if (file === entry) parts.push(body);
    else parts.push('__m[' + JSON.stringify(file) + '] = (function () {', body, 'return { ' + mod.exported.join(', ') + ' };', '})();');
  }
  parts.push('})();');
  const code = '/* clinic chat widget */\n' + parts.join('\n') + '\n';
  new Script(code, { filename: 'widget.js' }); // syntax check
  return code;
}

export function build() {
  const code = bundle();
  mkdirSync(dirname(OUT), { recursive: true });
  writeFileSync(OUT, code);
  return { path: OUT, code };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { path, code } = build();
  const { gzipSync } = await import('node:zlib');
  const gz = gzipSync(code, { level: 9 }).length;
  console.log(path + ': ' + code.length + ' bytes, ' + gz + ' bytes gzipped');
}
