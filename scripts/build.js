#!/usr/bin/env node
// Builds the addon with the napi CLI: `<name>.<platform>.node` plus the generated raw loader
// `binding.js` / `binding.d.ts` (the hand-written `index.*` are never touched). Cargo is
// incremental, so this is quick when nothing changed. `--debug` builds without optimisations.
'use strict';
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const debug = process.argv.includes('--debug');
const cli = path.join(path.dirname(require.resolve('@napi-rs/cli/package.json', { paths: [root] })), 'dist', 'cli.js');
const args = [cli, 'build', '--platform', '--js', 'binding.js', '--dts', 'binding.d.ts'];
if (!debug) args.push('--release');
const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
process.exit(r.status ?? 1);
