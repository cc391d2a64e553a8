#!/usr/bin/env node
// `npm test`: build the addon if needed, then `cargo test`, then every `__test__/**/*.test.*` with
// node's own test runner (with unhandled rejections made fatal, so none can hide).
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
function run(cmd, args, opts = {}) {
  process.stderr.write(`\n$ ${cmd} ${args.join(' ')}\n`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', ...opts });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

function testFiles(dir) {
  const out = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name !== 'node_modules' && e.name !== 'fixtures' && e.name !== 'artifacts') out.push(...testFiles(p));
    } else if (/\.test\.(c|m)?js$/.test(e.name)) {
      out.push(path.relative(root, p));
    }
  }
  return out.sort();
}

const only = process.argv.slice(2);
if (!process.env.SKIP_BUILD) run(process.execPath, [path.join(root, 'scripts', 'build.js')]);
if (!process.env.SKIP_CARGO_TEST && only.length === 0) run('cargo', ['test', '--lib']);
const files = only.length ? only : testFiles(path.join(root, '__test__'));
run(process.execPath, ['--unhandled-rejections=strict', '--test', '--test-concurrency=1', ...files]);
