// Install footprint: what `npm install <package>` puts on disk in an otherwise empty project.
//
//   ours: `npm pack` of the repo root, installed alone from the tarball (offline: it has no
//         dependencies), so the figure is exactly what a user downloads and keeps.
//   JS runtimes: a fresh `npm install @copilotkit/runtime@X` into a temp dir (needs the npm
//         registry; slow, so the result is cached in bench/.cache/footprint.json per version).
//         When that is not possible (--quick without a cache, or no network), the figure comes
//         from walking the package's dependency tree in bench/node_modules, and says so.
//
// Bytes are the sum of file sizes (what `du --apparent-size` shows), package count is the number of
// installed package directories (node_modules/<name> and node_modules/@scope/<name>, nested too).
'use strict';

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const BENCH = path.resolve(__dirname, '..');
const ROOT = path.resolve(BENCH, '..');
const CACHE = path.join(BENCH, '.cache', 'footprint.json');

function npm(args, cwd, timeoutMs = 600_000) {
  const r = spawnSync('npm', args, {
    cwd,
    encoding: 'utf8',
    timeout: timeoutMs,
    env: { ...process.env, npm_config_fund: 'false', npm_config_audit: 'false', npm_config_update_notifier: 'false' },
  });
  if (r.status !== 0) {
    const msg = `${r.stderr || ''}${r.stdout || ''}`.trim().split('\n').filter((l) => !/Unknown user config/.test(l)).slice(-3).join(' | ');
    throw new Error(`npm ${args[0]} failed (${r.status ?? r.signal}): ${msg}`);
  }
  return r.stdout;
}

/** Sum of file sizes under dir (symlinks not followed). */
function dirBytes(dir) {
  let total = 0;
  const stack = [dir];
  while (stack.length) {
    const d = stack.pop();
    let entries;
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const e of entries) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) stack.push(p);
      else if (e.isFile()) total += fs.lstatSync(p).size;
    }
  }
  return total;
}

/** Installed package directories under a node_modules tree, nested ones included. */
function packageDirs(nodeModules) {
  const out = [];
  const visit = (nm) => {
    let entries;
    try {
      entries = fs.readdirSync(nm, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (!e.isDirectory() || e.name.startsWith('.')) continue;
      const p = path.join(nm, e.name);
      if (e.name.startsWith('@')) {
        for (const s of fs.readdirSync(p, { withFileTypes: true })) {
          if (s.isDirectory()) {
            out.push(path.join(p, s.name));
            visit(path.join(p, s.name, 'node_modules'));
          }
        }
      } else {
        out.push(p);
        visit(path.join(p, 'node_modules'));
      }
    }
  };
  visit(nodeModules);
  return out.filter((d) => fs.existsSync(path.join(d, 'package.json')));
}

function measureInstall(dir) {
  const nm = path.join(dir, 'node_modules');
  return { bytes: dirBytes(nm), packages: packageDirs(nm).length };
}

function tempProject() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'copilot-bench-install-'));
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'footprint-probe', version: '1.0.0', private: true }));
  return dir;
}

/** Our package: pack the repo root, install the tarball alone, offline. */
function ours() {
  const dir = tempProject();
  try {
    const out = npm(['pack', '--json', '--pack-destination', dir], ROOT);
    const info = JSON.parse(out.slice(out.indexOf('[')))[0];
    const tgz = path.join(dir, info.filename);
    npm(['install', '--offline', '--no-package-lock', tgz], dir);
    return { ...measureInstall(dir), tarballBytes: fs.statSync(tgz).size, how: 'npm pack + offline install of the tarball alone' };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function readCache() {
  try {
    return JSON.parse(fs.readFileSync(CACHE, 'utf8'));
  } catch {
    return {};
  }
}

/** A JS runtime from the registry, fresh, cached by version. */
function registry(spec, { refresh = false, allowNetwork = true } = {}) {
  const cache = readCache();
  if (!refresh && cache[spec]) return { ...cache[spec], how: `fresh npm install (cached ${cache[spec].measuredAt.slice(0, 10)})` };
  if (!allowNetwork) return null;
  const dir = tempProject();
  try {
    npm(['install', '--no-package-lock', '--ignore-scripts', spec], dir, 900_000);
    const m = { ...measureInstall(dir), measuredAt: new Date().toISOString() };
    fs.mkdirSync(path.dirname(CACHE), { recursive: true });
    const c = readCache();
    c[spec] = m;
    fs.writeFileSync(CACHE, `${JSON.stringify(c, null, 2)}\n`);
    return { ...m, how: 'fresh npm install into an empty project' };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Fallback: the package and everything it resolves to in bench/node_modules (dependencies,
 * optional and peer dependencies, as npm ≥ 7 installs peers), resolved the way Node does.
 */
function walk(alias) {
  const start = path.join(BENCH, 'node_modules', alias);
  if (!fs.existsSync(start)) return null;
  const seen = new Set();
  const queue = [start];
  while (queue.length) {
    const dir = queue.pop();
    if (seen.has(dir)) continue;
    seen.add(dir);
    let pj;
    try {
      pj = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
    } catch {
      continue;
    }
    const optionalPeers = new Set(Object.entries(pj.peerDependenciesMeta || {}).filter(([, v]) => v && v.optional).map(([k]) => k));
    const names = new Set([
      ...Object.keys(pj.dependencies || {}),
      ...Object.keys(pj.optionalDependencies || {}),
      ...Object.keys(pj.peerDependencies || {}).filter((n) => !optionalPeers.has(n)),
    ]);
    for (const name of names) {
      const found = resolvePackage(dir, name);
      if (found) queue.push(found);
    }
  }
  let bytes = 0;
  for (const d of seen) bytes += ownBytes(d);
  return { bytes, packages: seen.size, how: 'dependency walk in bench/node_modules (no fresh install cached)' };
}

function resolvePackage(fromDir, name) {
  let d = fromDir;
  for (;;) {
    const cand = path.join(d, 'node_modules', name);
    if (fs.existsSync(path.join(cand, 'package.json'))) return fs.realpathSync(cand);
    const parent = path.dirname(d);
    if (parent === d) return null;
    d = parent;
  }
}

/** Bytes of a package directory without its nested node_modules (those are packages of their own). */
function ownBytes(dir) {
  let total = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name !== 'node_modules') total += dirBytes(p);
    } else if (e.isFile()) total += fs.lstatSync(p).size;
  }
  return total;
}

module.exports = { ours, registry, walk, measureInstall };

if (require.main === module) {
  // `node bench/footprint.js [--refresh]`: measure (and cache) all three.
  const refresh = process.argv.includes('--refresh');
  const show = (name, m) => process.stdout.write(`${name}: ${m ? `${(m.bytes / 1e6).toFixed(1)} MB, ${m.packages} packages (${m.how})` : 'n/a'}\n`);
  show('copilot-runtime-rs', ours());
  for (const spec of ['@copilotkit/runtime@1.10.6', '@copilotkit/runtime@1.75.0']) show(spec, registry(spec, { refresh }));
}
