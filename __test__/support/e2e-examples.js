// Plumbing shared by the example tests (`__test__/e2e-*.test.mjs`, `__test__/examples-*.test.mjs`),
// `.ci/run` and `npm run demo`: install and build each example under `examples/` once (and again only
// when its sources, its lockfile or this package's JavaScript changed), start an example's server on
// 127.0.0.1, and stop it with everything it spawned.
//
//   node __test__/support/e2e-examples.js prepare [name …]   # install + build (all by default)
'use strict';

const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..');
const EXAMPLES_DIR = path.join(ROOT, 'examples');
const ARTIFACTS_DIR = path.join(ROOT, '__test__', 'artifacts');
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

/**
 * Every example: how it is built and started. `next` examples are built with `next build` and
 * started with `next start`; the NestJS one is compiled with `tsc`; the others run as they are.
 */
const EXAMPLES = {
  'nextjs-app-router': { kind: 'next', client: '1.74' },
  'nextjs-app-router-1.10': { kind: 'next', client: '1.10.6' },
  'nextjs-pages-router': { kind: 'next', client: '1.74' },
  'node-http': { kind: 'node', main: 'server.mjs' },
  'express-4': { kind: 'node', main: 'server.mjs' },
  'express-5': { kind: 'node', main: 'server.mjs' },
  nestjs: { kind: 'tsc', main: 'dist/main.js' },
};

const BUILD_ENV = { NEXT_TELEMETRY_DISABLED: '1', npm_config_fund: 'false', npm_config_audit: 'false', npm_config_update_notifier: 'false' };

function log(msg) {
  process.stderr.write(`[examples] ${msg}\n`);
}

function exampleDir(name) {
  if (!EXAMPLES[name]) throw new Error(`unknown example '${name}'`);
  return path.join(EXAMPLES_DIR, name);
}

function mtime(file) {
  try {
    return fs.statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}

/** Newest modification time of the files under `dir` (node_modules, .next and dist left out). */
function newest(dir) {
  let max = 0;
  let entries;
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return mtime(dir);
  }
  for (const e of entries) {
    if (e.name === 'node_modules' || e.name === '.next' || e.name === 'dist' || e.name === 'next-env.d.ts' || e.name.endsWith('.tsbuildinfo')) continue;
    const p = path.join(dir, e.name);
    max = Math.max(max, e.isDirectory() ? newest(p) : mtime(p));
  }
  return max;
}

function run(cmd, args, { cwd, what, env = {} }) {
  const started = Date.now();
  log(`${what}: $ ${cmd} ${args.join(' ')}  (in examples/${path.relative(EXAMPLES_DIR, cwd)})`);
  const r = spawnSync(cmd, args, { cwd, stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, ...BUILD_ENV, ...env } });
  if (r.status !== 0) throw new Error(`${what} failed (exit ${r.status ?? r.signal}) in ${cwd}`);
  log(`${what}: done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

/** `npm ci` when node_modules is missing or older than the committed lockfile. */
function install(name) {
  const dir = exampleDir(name);
  const stamp = path.join(dir, 'node_modules', '.package-lock.json');
  if (mtime(stamp) && mtime(stamp) >= mtime(path.join(dir, 'package-lock.json')) && fs.existsSync(path.join(dir, 'node_modules', '@copilotkit', 'runtime'))) {
    return false;
  }
  // The link to this package (`file:../..`) would run its install script, which rebuilds the addon
  // here in the checkout: `npm install` / `npm test` at the root do that already.
  run('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: dir, what: `install ${name}`, env: { COPILOT_RUNTIME_RS_SKIP_BUILD: '1' } });
  return true;
}

// The package's JavaScript is bundled into a Next.js build; its native addon is loaded at run time.
function packageJsMtime() {
  return Math.max(newest(path.join(ROOT, 'lib')), mtime(path.join(ROOT, 'index.js')), mtime(path.join(ROOT, 'index.mjs')), mtime(path.join(ROOT, 'package.json')));
}

function buildStamp(name) {
  const dir = exampleDir(name);
  const { kind, main } = EXAMPLES[name];
  if (kind === 'next') return path.join(dir, '.next', 'BUILD_ID');
  if (kind === 'tsc') return path.join(dir, main);
  return null;
}

function isBuilt(name) {
  const stamp = buildStamp(name);
  if (!stamp) return true;
  const dir = exampleDir(name);
  const built = mtime(stamp);
  if (!built) return false;
  const inputs = Math.max(newest(dir), mtime(path.join(dir, 'node_modules', '.package-lock.json')), EXAMPLES[name].kind === 'next' ? packageJsMtime() : 0);
  return built >= inputs;
}

/** `next build` / `tsc` once; again only when an input changed. */
function build(name) {
  if (isBuilt(name)) return false;
  const dir = exampleDir(name);
  const { kind } = EXAMPLES[name];
  if (kind === 'next') run(process.execPath, [path.join(dir, 'node_modules', 'next', 'dist', 'bin', 'next'), 'build'], { cwd: dir, what: `build ${name}` });
  else if (kind === 'tsc') run(process.execPath, [path.join(dir, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], { cwd: dir, what: `build ${name}` });
  return true;
}

/** Install and build the named examples (every example by default), each at most once. */
function prepare(names = Object.keys(EXAMPLES)) {
  for (const name of names) {
    const started = Date.now();
    const installed = install(name);
    const built = build(name);
    if (installed || built) log(`${name} ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
}

/** A free TCP port on 127.0.0.1. */
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Start an example's server on 127.0.0.1:`port` (a free one by default) in its own process group and
 * wait until it answers HTTP. `mode`: 'start' (production) or 'dev' for Next.js examples; `main`
 * overrides the script of a plain Node example (e.g. 'server-json.mjs').
 */
async function startExample(name, { env = {}, port, mode = 'start', main, readyTimeoutMs = 120000, readyPath = '/', quiet = true } = {}) {
  const dir = exampleDir(name);
  const spec = EXAMPLES[name];
  port = port ?? (await freePort());
  let cmd;
  let args;
  if (spec.kind === 'next') {
    cmd = process.execPath;
    args = [path.join(dir, 'node_modules', 'next', 'dist', 'bin', 'next'), mode === 'dev' ? 'dev' : 'start', '-H', '127.0.0.1', '-p', String(port)];
  } else {
    cmd = process.execPath;
    args = [main ?? spec.main];
  }
  const child = spawn(cmd, args, {
    cwd: dir,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...BUILD_ENV, PORT: String(port), HOST: '127.0.0.1', ...env },
  });
  let output = '';
  const onData = (d) => {
    output += d;
    if (!quiet) process.stderr.write(d);
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  let exited = null;
  child.on('exit', (code, signal) => {
    exited = { code, signal };
  });
  const url = `http://127.0.0.1:${port}`;
  const until = Date.now() + readyTimeoutMs;
  for (;;) {
    if (exited) throw new Error(`${name} exited (${exited.code ?? exited.signal}) before it was ready:\n${output}`);
    try {
      await fetch(url + readyPath, { signal: AbortSignal.timeout(30000) });
      break;
    } catch {
      if (Date.now() > until) {
        killGroup(child);
        throw new Error(`${name} did not answer on ${url} within ${readyTimeoutMs} ms:\n${output}`);
      }
      await sleep(200);
    }
  }
  return {
    url,
    port,
    child,
    output: () => output,
    async stop() {
      if (exited) return;
      const done = new Promise((r) => child.once('exit', r));
      killGroup(child, 'SIGTERM');
      const t = setTimeout(() => killGroup(child, 'SIGKILL'), 5000);
      await done;
      clearTimeout(t);
    },
  };
}

function killGroup(child, signal = 'SIGTERM') {
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      /* already gone */
    }
  }
}

function chromiumAvailable() {
  return fs.existsSync(CHROMIUM);
}

/** The installed `playwright-core` (a dev dependency of the Next.js examples). */
function loadPlaywright() {
  for (const name of ['nextjs-app-router', 'nextjs-app-router-1.10']) {
    try {
      return require(require.resolve('playwright-core', { paths: [exampleDir(name)] }));
    } catch {
      /* try the next one */
    }
  }
  throw new Error('playwright-core is not installed: run `node __test__/support/e2e-examples.js prepare nextjs-app-router`');
}

/** Headless Debian Chromium with a fresh profile; returns the persistent context (close it to quit). */
async function launchChromium() {
  const { chromium } = loadPlaywright();
  const userDataDir = fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'e2e-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 800 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-quic',
      '--no-first-run',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const close = context.close.bind(context);
  context.close = async () => {
    await close();
    fs.rmSync(userDataDir, { recursive: true, force: true });
  };
  return context;
}

module.exports = {
  ROOT,
  EXAMPLES,
  EXAMPLES_DIR,
  ARTIFACTS_DIR,
  CHROMIUM,
  exampleDir,
  install,
  build,
  isBuilt,
  prepare,
  freePort,
  startExample,
  chromiumAvailable,
  loadPlaywright,
  launchChromium,
  log,
};

if (require.main === module) {
  const [cmd, ...names] = process.argv.slice(2);
  if (cmd !== 'prepare') {
    process.stderr.write('usage: node __test__/support/e2e-examples.js prepare [example …]\n');
    process.exit(2);
  }
  try {
    prepare(names.length ? names : undefined);
  } catch (err) {
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  }
}
