#!/usr/bin/env node
// Install step of copilot-runtime-rs.
//
// In a source checkout (Cargo.toml next to this package) it builds the native addon in release
// mode. Installed from the registry or from a packed tarball it only checks that a prebuilt
// binary for this platform is present and loads, and explains what to do when it is not.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const isCheckout = fs.existsSync(path.join(root, 'Cargo.toml')) && fs.existsSync(path.join(root, 'src', 'lib.rs'));

function log(msg) {
  process.stderr.write(`copilot-runtime-rs: ${msg}\n`);
}

if (process.env.COPILOT_RUNTIME_RS_SKIP_BUILD) {
  log('COPILOT_RUNTIME_RS_SKIP_BUILD is set; not building the native addon.');
  process.exit(0);
}

if (isCheckout) {
  log('building the native addon from source (release mode; the first build takes a few minutes)...');
  const r = spawnSync(process.execPath, [path.join(root, 'scripts', 'build.js')], { cwd: root, stdio: 'inherit' });
  process.exit(r.status ?? 1);
}

try {
  require(path.join(root, 'binding.js'));
} catch (err) {
  log(`no usable prebuilt binary for ${process.platform}-${process.arch}: ${err && err.message}`);
  log('install from a source checkout (needs Rust) or use a tarball built for this platform.');
  process.exit(1);
}
