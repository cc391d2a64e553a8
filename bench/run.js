#!/usr/bin/env node
// `npm run bench`: copilot-runtime-rs against the JS @copilotkit/runtime, side by side, in one run.
//
//   node bench/run.js            full run (4 concurrencies × 3 workloads × 5 targets × 3 repeats; ~15 min)
//   node bench/run.js --quick    sanity run (concurrency 1 and 64, one repeat; ~2 min)
//
// Options (see bench/README.md): --targets a,b  --workloads a,b  --concurrency 1,64  --repeats N
//   --setup docs|hoisted  --streams N  --no-footprint  --refresh-footprint  --no-coldstart
//   --no-startup  --priority N  --write / --no-write (update bench/RESULTS.md; default: full runs write)
//
// Layout: this process (the load generator and the mock Gemini) runs pinned to one CPU; every
// server under test is its own process pinned to the other (`taskset`). Targets take turns phase
// by phase, and the run is repeated; the table shows medians over repeats and the ratios to the
// passthrough floor and to the JS runtime on the same protocol, all from this run.
'use strict';

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn, spawnSync, execFileSync } = require('node:child_process');

const BENCH = __dirname;
const ROOT = path.resolve(BENCH, '..');

// ---------------------------------------------------------------------------------------------
// Options

function parseCli(argv) {
  const o = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) continue;
    const eq = a.indexOf('=');
    if (eq > 0) o[a.slice(2, eq)] = a.slice(eq + 1);
    else if (argv[i + 1] !== undefined && !argv[i + 1].startsWith('--')) o[a.slice(2)] = argv[++i];
    else o[a.slice(2)] = true;
  }
  return o;
}

const cli = parseCli(process.argv.slice(2));
if (cli.help || cli.h) {
  const lines = fs.readFileSync(__filename, 'utf8').split('\n').slice(1);
  const head = lines.slice(0, lines.findIndex((l) => !l.startsWith('//')));
  process.stdout.write(`${head.map((l) => l.replace(/^\/\/ ?/, '')).join('\n')}\n`);
  process.exit(0);
}
const QUICK = !!cli.quick;
const list = (v) => String(v).split(',').map((s) => s.trim()).filter(Boolean);

// ---------------------------------------------------------------------------------------------
// CPU pinning: re-run this script under `taskset -c <gen cpu>`; servers go on the other CPU.

function allowedCpus() {
  try {
    const m = /^Cpus_allowed_list:\s*(.+)$/m.exec(fs.readFileSync('/proc/self/status', 'utf8'));
    const out = [];
    for (const part of m[1].trim().split(',')) {
      const [a, b] = part.split('-').map(Number);
      for (let c = a; c <= (b ?? a); c++) out.push(c);
    }
    return out;
  } catch {
    return [];
  }
}

function hasTaskset() {
  return spawnSync('taskset', ['--version'], { stdio: 'ignore' }).status === 0;
}

let PIN = { server: [], note: '' };
if (process.env.BENCH_PINNED) {
  const [server, gen] = process.env.BENCH_PINNED.split(',');
  PIN = { server: ['taskset', '-c', server], serverCpu: server, genCpu: gen, note: `servers on CPU ${server}, load generator + mock on CPU ${gen} (taskset)` };
} else if (!cli['no-pin']) {
  const cpus = allowedCpus();
  if (cpus.length >= 2 && hasTaskset()) {
    const [server, gen] = [cpus[0], cpus[1]];
    const r = spawnSync('taskset', ['-c', String(gen), process.execPath, __filename, ...process.argv.slice(2)], {
      stdio: 'inherit',
      env: { ...process.env, BENCH_PINNED: `${server},${gen}` },
    });
    process.exit(r.status ?? 1);
  }
  PIN.note = cpus.length < 2
    ? 'NOT PINNED: fewer than 2 CPUs available; server and load generator share a CPU, so throughput and latency are not comparable to pinned runs'
    : 'NOT PINNED: `taskset` not found (Debian/Ubuntu: apt-get install util-linux); server and load generator compete for CPUs, figures are noisier';
} else {
  PIN.note = 'NOT PINNED (--no-pin)';
}

// Loaded after the re-exec decision so the parent process stays small.
const { MockUpstream, textChunks } = require('./mock-upstream');
// The load generator needs bench/'s own dependencies (undici): install them before loading it.
ensureBenchDeps();
const { runPhase, fire, makePool, openStreams, expectationFor } = require('./lib/loadgen');
const { requestFor, toolFor } = require('./lib/protocols');
const proc = require('./lib/proc');
const { percentile, median } = require('./lib/stats');
const report = require('./lib/report');

// ---------------------------------------------------------------------------------------------
// What is measured

const TARGETS = [
  { id: 'floor', server: 'floor', protocol: 'gemini', label: 'floor: node:http piping the SSE bytes' },
  { id: 'ours-gql', server: 'ours', protocol: 'graphql', label: 'copilot-runtime-rs, GraphQL', ours: true },
  { id: 'js-1.10.6-gql', server: 'js-1.10.6', protocol: 'graphql', label: '@copilotkit/runtime 1.10.6, GraphQL', js: true },
  { id: 'ours-agui', server: 'ours', protocol: 'agui', label: 'copilot-runtime-rs, AG-UI', ours: true },
  { id: 'js-1.75.0-agui', server: 'js-1.75.0', protocol: 'agui', label: '@copilotkit/runtime 1.75.0, AG-UI', js: true },
];
const JS_FOR = { graphql: 'js-1.10.6-gql', agui: 'js-1.75.0-agui' };

const WORKLOADS = [
  { id: 'text50', kind: 'text', chunks: 50, delayMs: 0, label: '50-chunk text answer, no upstream delay (CPU cost)' },
  { id: 'paced20', kind: 'text', chunks: 20, delayMs: 25, label: '20-chunk text answer, 25 ms per chunk (added latency)' },
  { id: 'tool', kind: 'tool', label: 'frontend tool call' },
];

const targets = cli.targets ? TARGETS.filter((t) => list(cli.targets).includes(t.id)) : TARGETS;
const workloads = cli.workloads ? WORKLOADS.filter((w) => list(cli.workloads).includes(w.id)) : WORKLOADS;
const concurrencies = cli.concurrency ? list(cli.concurrency).map(Number) : QUICK ? [1, 64] : [1, 16, 64, 256];
const repeats = Number(cli.repeats || (QUICK ? 1 : 3));
const SETUP = cli.setup || 'docs';
const STREAMS = Number(cli.streams || (QUICK ? 250 : 1000));
/** Fresh spawns per target whose median is the start-up figure. */
const START_SAMPLES = QUICK ? 3 : 7;
const TIMEOUT_MS = QUICK ? 30_000 : 60_000;
const OTHER_RETRY_PCT = 15;
// --priority -10: run the benchmark (and the servers, which inherit it) at a higher scheduling
// priority than other work on a shared machine. Needs root for negative values. Off by default.
const PRIORITY = cli.priority !== undefined ? Number(cli.priority) : 0;
if (PRIORITY) {
  try {
    os.setPriority(0, PRIORITY);
  } catch (e) {
    process.stderr.write(`bench: cannot set priority ${PRIORITY}: ${e.message}\n`);
    process.exit(2);
  }
}
const WRITE = cli.write === true || (cli['no-write'] !== true && !QUICK && cli.write !== 'false');

if (!targets.length || !workloads.length || !concurrencies.every((c) => c > 0)) {
  process.stderr.write('bench: nothing to run (check --targets / --workloads / --concurrency)\n');
  process.exit(2);
}

function phaseTiming(workload, c) {
  const paced = workload.delayMs > 0;
  if (QUICK) {
    return paced
      ? { warmup: { minCompleted: 2, maxMs: 1500 }, window: { minMs: 1500, minCompleted: 5, maxMs: 3000 }, drainMs: 5000 }
      : { warmup: { minCompleted: 20, maxMs: 1500 }, window: { minMs: 1200, minCompleted: 10, maxMs: 3000 }, drainMs: 5000 };
  }
  return paced
    ? { warmup: { minCompleted: 4, maxMs: 2500 }, window: { minMs: 2500, minCompleted: 10, maxMs: 6000 }, drainMs: 8000 }
    : { warmup: { minCompleted: 30, maxMs: 2500 }, window: { minMs: 2000, minCompleted: 30, maxMs: 5000 }, drainMs: 8000 };
}

function behaviourFor(workload, protocol) {
  if (workload.kind === 'tool') return { kind: 'tool', ...toolFor(protocol) };
  return { kind: 'text', chunks: textChunks(workload.chunks - 1), delayMs: workload.delayMs };
}

// ---------------------------------------------------------------------------------------------
// Helpers

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const t0run = Date.now();
function log(msg) {
  const s = Math.round((Date.now() - t0run) / 1000);
  process.stdout.write(`[${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}] ${msg}\n`);
}

const LOG_DIR = fs.mkdtempSync(path.join(os.tmpdir(), 'copilot-bench-'));
const SERVER_ENV = {
  ...process.env,
  GOOGLE_API_KEY: 'bench-dummy-key',
  COPILOTKIT_TELEMETRY_DISABLED: 'true',
  DO_NOT_TRACK: '1',
  NODE_ENV: 'production',
};
delete SERVER_ENV.BENCH_PINNED;

// Every server this run started, so none outlives it whatever happens.
const CHILDREN = new Set();
process.on('exit', () => {
  for (const c of CHILDREN) {
    try {
      c.kill('SIGKILL');
    } catch {
      /* already gone */
    }
  }
});
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    process.stderr.write(`\nbench: ${sig}, stopping the servers\n`);
    process.exit(130);
  });
}

/** Start one server under test; resolves once it prints READY. */
function startServer(target, mockUrl) {
  const logPath = path.join(LOG_DIR, `${target.id}.log`);
  const logFd = fs.openSync(logPath, 'a');
  const argv = [...PIN.server, process.execPath, path.join(BENCH, 'server.js'), '--target', target.server, '--mock', mockUrl, '--setup', SETUP];
  const tSpawn = performance.now();
  const child = spawn(argv[0], argv.slice(1), { cwd: BENCH, env: SERVER_ENV, stdio: ['ignore', 'pipe', logFd] });
  fs.closeSync(logFd);
  CHILDREN.add(child);
  child.once('exit', () => CHILDREN.delete(child));
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${target.id}: server did not print READY within 60 s (log: ${logPath})`));
    }, 60_000);
    const early = (code, sig) => {
      clearTimeout(timer);
      reject(new Error(`${target.id}: server exited (${code ?? sig}) before READY; log: ${logPath}: ${tail(logPath)}`));
    };
    child.once('exit', early);
    child.stdout.on('data', (d) => {
      out += d;
      const m = /READY (\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        child.off('exit', early);
        const tReady = performance.now();
        const h = {
          target,
          child,
          pid: child.pid,
          port: Number(m[1]),
          origin: `http://127.0.0.1:${m[1]}`,
          logPath,
          tSpawn,
          tReady,
          exited: false,
          async stop() {
            if (h.exited) return;
            child.kill('SIGTERM');
            await Promise.race([new Promise((r) => child.once('exit', r)), sleep(3000)]);
            if (!h.exited) child.kill('SIGKILL');
          },
        };
        child.once('exit', () => (h.exited = true));
        child.stdout.resume();
        resolve(h);
      }
    });
  });
}

function tail(p) {
  try {
    return fs.readFileSync(p, 'utf8').trim().split('\n').slice(-2).join(' | ').slice(0, 300);
  } catch {
    return '';
  }
}

/** Wait until a server is idle: ≤ 1 clock tick of CPU in two consecutive 100 ms slices. */
async function settle(h, capMs = 15_000) {
  if (!h || h.exited) return;
  const t = performance.now();
  let last = proc.cpuMs(h.pid);
  let quiet = 0;
  while (performance.now() - t < capMs) {
    await sleep(100);
    if (h.exited) return;
    const c = proc.cpuMs(h.pid);
    quiet = c - last <= 1000 / proc.ticksPerSecond ? quiet + 1 : 0;
    last = c;
    if (quiet >= 2) return;
  }
}

function topErrors(errors, n = 3) {
  return [...errors.entries()].sort((a, b) => b[1] - a[1]).slice(0, n).map(([e, k]) => `${e} ×${k}`).join('; ');
}

function fmtMs(x) {
  if (!Number.isFinite(x)) return '—';
  return x < 10 ? x.toFixed(2) : x < 100 ? x.toFixed(1) : String(Math.round(x));
}

// ---------------------------------------------------------------------------------------------
// Sections

function machineInfo() {
  const cpus = os.cpus();
  let commit = '';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: ROOT, encoding: 'utf8' }).trim();
    if (dirty) commit += ' (with uncommitted changes)';
  } catch {
    commit = 'unknown';
  }
  let npmVersion = '';
  try {
    npmVersion = execFileSync('npm', ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    /* not essential */
  }
  return {
    date: new Date().toISOString(),
    cpu: `${cpus.length} × ${cpus[0] ? cpus[0].model.trim() : 'unknown'}`,
    memGiB: Math.round(os.totalmem() / 2 ** 30),
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    npm: npmVersion,
    commit,
    pinning: PIN.note + (PRIORITY ? `; niceness ${PRIORITY} (--priority)` : ''),
    setup: SETUP,
    mode: QUICK ? 'quick' : 'full',
    concurrencies,
    repeats,
    streams: STREAMS,
  };
}

function jsVersion(alias) {
  try {
    return JSON.parse(fs.readFileSync(path.join(BENCH, 'node_modules', alias, 'package.json'), 'utf8')).version;
  } catch {
    return null;
  }
}

function ensureBenchDeps() {
  const need = ['@copilotkit/runtime-1.10.6', '@copilotkit/runtime-1.75.0', 'undici'];
  if (need.every((n) => fs.existsSync(path.join(BENCH, 'node_modules', n, 'package.json')))) return;
  process.stderr.write('bench: bench/node_modules is missing the JS runtimes: running `npm install` in bench/ (once)…\n');
  const r = spawnSync('npm', ['install', '--no-fund', '--no-audit'], { cwd: BENCH, stdio: 'inherit' });
  if (r.status !== 0) {
    process.stderr.write('bench: `npm install` in bench/ failed\n');
    process.exit(1);
  }
}

function sectionFootprint() {
  const fp = require('./lib/footprint');
  const out = {};
  log('install footprint: npm pack of the repo root, installed alone offline…');
  try {
    out.ours = fp.ours();
    log(`  copilot-runtime-rs: ${(out.ours.bytes / 1e6).toFixed(1)} MB, ${out.ours.packages} package(s)`);
  } catch (e) {
    out.ours = { error: e.message };
    log(`  copilot-runtime-rs: failed: ${e.message}`);
  }
  for (const [key, spec, alias] of [
    ['js-1.10.6', '@copilotkit/runtime@1.10.6', '@copilotkit/runtime-1.10.6'],
    ['js-1.75.0', '@copilotkit/runtime@1.75.0', '@copilotkit/runtime-1.75.0'],
  ]) {
    let m = null;
    try {
      if (!QUICK || cli['refresh-footprint']) log(`  ${spec}: fresh install into a temp dir unless cached…`);
      m = fp.registry(spec, { refresh: !!cli['refresh-footprint'], allowNetwork: !QUICK || !!cli['refresh-footprint'] });
    } catch (e) {
      log(`  ${spec}: fresh install failed (${e.message.slice(0, 120)}); falling back to bench/node_modules`);
    }
    if (!m) m = fp.walk(alias);
    out[key] = m || { error: 'not measured' };
    if (m) log(`  ${spec}: ${(m.bytes / 1e6).toFixed(1)} MB, ${m.packages} packages (${m.how})`);
  }
  return out;
}

function sectionColdStart() {
  const { measure } = require('./lib/coldstart');
  const pairs = QUICK ? 3 : 7;
  log(`require() cold start: ${pairs} alternating pairs of \`node -e 0\` / \`node -e "require(pkg)"\` per package, pinned to the server CPU…`);
  const modules = [
    { id: 'ours', request: ROOT, cwd: ROOT },
    { id: 'js-1.10.6', request: '@copilotkit/runtime-1.10.6', cwd: BENCH },
    { id: 'js-1.75.0', request: '@copilotkit/runtime-1.75.0', cwd: BENCH },
  ].filter((m) => targets.some((t) => t.server === m.id));
  const r = measure(modules, { pairs, pin: PIN.server, env: SERVER_ENV });
  log(`  node -e 0: ${fmtMs(r.baselineMs)} ms`);
  for (const [id, x] of Object.entries(r.results)) {
    log(x.error ? `  ${id}: failed: ${x.error}` : `  ${id}: ${fmtMs(x.wallMs)} ms (${x.overBaselineMs >= 0 ? "+" : ""}${fmtMs(x.overBaselineMs)} ms over node -e 0; require() itself ${fmtMs(x.inProcessMs)} ms)`);
  }
  return r;
}

/** Fresh server per target: time to first answered request, idle RSS, RSS with N streams open. */
async function sectionStartup(mock) {
  const out = {};
  const text = WORKLOADS[0];
  for (const target of targets) {
    const r = { target: target.id };
    out[target.id] = r;
    try {
      await startupOne(mock, target, r, text);
    } catch (e) {
      r.error = e.message;
      log(`startup ${target.id}: ${e.message}`);
    }
  }
  return out;
}

async function startupOne(mock, target, r, text) {
  mock.setBehaviour(behaviourFor(text, target.protocol));
  const expect = expectationFor(text, toolFor(target.protocol), mock.behaviour.chunks.join(''));
  const request = requestFor(target.protocol, 'text');
  // Start-up times are the median of several fresh spawns: one sample swings by 20 ms or more.
  const readies = [];
  const firsts = [];
  for (let k = 1; k < START_SAMPLES; k++) {
    const s = await startServer(target, mock.url);
    try {
      const p = makePool(s.origin, 1);
      const f = await fire(p, request, target.protocol, expect, TIMEOUT_MS);
      await p.close().catch(() => {});
      readies.push(s.tReady - s.tSpawn);
      if (f.ok) firsts.push(f.tEnd - s.tSpawn);
    } finally {
      await s.stop();
    }
  }
  const h = await startServer(target, mock.url);
  try {
    readies.push(h.tReady - h.tSpawn);
    const pool = makePool(h.origin, 4);
    const first = await fire(pool, request, target.protocol, expect, TIMEOUT_MS);
    if (first.ok) firsts.push(first.tEnd - h.tSpawn);
    r.readyMs = median(readies);
    r.firstAnswerMs = firsts.length ? median(firsts) : first.tEnd - h.tSpawn;
    r.startSamples = readies.length;
    r.firstAnswerOk = first.ok;
    r.firstAnswerError = first.error;
    // A few more requests so the runtime has loaded what it loads lazily.
    let warmOk = 0;
    for (let i = 0; i < 20; i++) if ((await fire(pool, request, target.protocol, expect, TIMEOUT_MS)).ok) warmOk++;
    await pool.close().catch(() => {});
    await settle(h, 3000);
    await sleep(300);
    r.idleRss = proc.rss(h.pid);
    r.warmOk = warmOk;
    // N streams held open: the mock sends the first chunk of each answer and holds the rest.
    mock.setBehaviour({ kind: 'text', chunks: textChunks(4), delayMs: 0, hold: true });
    const holdExpect = expectationFor({ kind: 'text' }, null, mock.behaviour.chunks.join(''));
    const sampler = proc.rssSampler(h.pid, 50);
    const s = await openStreams({ origin: h.origin, protocol: target.protocol, request, expect: holdExpect, count: STREAMS, timeoutMs: QUICK ? 20_000 : 45_000, mock });
    await sleep(300);
    r.streamsRequested = STREAMS;
    r.streamsOpen = s.open;
    r.openRss = proc.rss(h.pid);
    const done = await s.release();
    r.peakRssStreams = sampler.stop();
    r.streamsOk = done.ok;
    r.streamsFail = done.fail;
    r.streamsErrors = topErrors(done.errors);
    r.perStreamBytes = s.open >= Math.min(100, STREAMS) ? (r.openRss - r.idleRss) / s.open : NaN;
    log(
      `startup ${target.id}: listening ${fmtMs(r.readyMs)} ms, first answer ${fmtMs(r.firstAnswerMs)} ms${first.ok ? '' : ` (FAILED: ${first.error})`}; ` +
        `idle RSS ${(r.idleRss / 2 ** 20).toFixed(1)} MiB; ${s.open}/${STREAMS} streams open → RSS ${(r.openRss / 2 ** 20).toFixed(1)} MiB` +
        (Number.isFinite(r.perStreamBytes) ? ` (${(r.perStreamBytes / 1024).toFixed(1)} KiB/stream)` : ' (per-stream n/a)') +
        `; after release ${done.ok} ok / ${done.fail} failed${done.fail ? ` (${r.streamsErrors})` : ''}`,
    );
  } finally {
    mock.release();
    await h.stop();
  }
}

/** Untimed requests so the JIT (and any lazy loading) is done before the first measured phase. */
async function warmServer(h, t, mock) {
  const perWorkload = QUICK ? 600 : 2000;
  let ok = 0;
  let fail = 0;
  for (const w of workloads.filter((x) => !x.delayMs)) {
    mock.setBehaviour(behaviourFor(w, t.protocol));
    const expect = expectationFor(w, toolFor(t.protocol), w.kind === 'text' ? mock.behaviour.chunks.join('') : '');
    const request = requestFor(t.protocol, w.kind);
    const pool = makePool(h.origin, 8);
    const end = performance.now() + perWorkload;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (performance.now() < end) {
          const r = await fire(pool, request, t.protocol, expect, TIMEOUT_MS);
          if (r.ok) ok++;
          else fail++;
          if (r.seq >= 0) mock.takeFirstWrite(r.seq);
          if (r.connError) await sleep(20);
        }
      }),
    );
    await pool.close().catch(() => {});
  }
  return { ok, fail };
}

/** One measured phase of one target; returns the phase record and its error counts. */
async function measurePhase(h, t, w, c, r, mock) {
  mock.setBehaviour(behaviourFor(w, t.protocol));
  const expect = expectationFor(w, toolFor(t.protocol), w.kind === 'text' ? mock.behaviour.chunks.join('') : '');
  let cpu0 = NaN;
  let cpu1 = NaN;
  let gen0 = null;
  let gen = null;
  let busy0 = null;
  let busy1 = null;
  let genBusy0 = null;
  let genBusy1 = null;
  let sched0 = null;
  let sched1 = null;
  let genSched0 = null;
  let genSched1 = null;
  const readCpu = () => {
    try {
      return proc.cpuMs(h.pid);
    } catch {
      return NaN;
    }
  };
  const sampler = proc.rssSampler(h.pid, 25);
  const res = await runPhase({
    origin: h.origin,
    protocol: t.protocol,
    request: requestFor(t.protocol, w.kind),
    expect,
    concurrency: c,
    mock,
    timeoutMs: TIMEOUT_MS,
    ...phaseTiming(w, c),
    onWindowStart() {
      cpu0 = readCpu();
      gen0 = process.cpuUsage();
      busy0 = proc.cpuBusyMs(PIN.serverCpu);
      genBusy0 = proc.cpuBusyMs(PIN.genCpu);
      sched0 = proc.schedMs(h.pid);
      genSched0 = proc.schedMs(process.pid);
    },
    onWindowEnd() {
      cpu1 = readCpu();
      gen = process.cpuUsage(gen0);
      busy1 = proc.cpuBusyMs(PIN.serverCpu);
      genBusy1 = proc.cpuBusyMs(PIN.genCpu);
      sched1 = proc.schedMs(h.pid);
      genSched1 = proc.schedMs(process.pid);
    },
  });
  const peakRss = sampler.stop();
  const cpu = cpu1 - cpu0;
  const pinned = PIN.serverCpu !== undefined;
  const record = {
    repeat: r,
    workload: w.id,
    concurrency: c,
    target: t.id,
    ok: res.ok,
    fail: res.fail,
    errors: Object.fromEntries(res.errors),
    windowMs: res.windowMs,
    steady: res.warmupCompleted >= c,
    rps: (res.ok / res.windowMs) * 1000,
    cpuPerReqMs: res.ok ? cpu / res.ok : NaN,
    cpuWindowMs: cpu,
    srvPct: (cpu / res.windowMs) * 100,
    genPct: gen ? ((gen.user + gen.system) / 1000 / res.windowMs) * 100 : NaN,
    // CPU time other processes took on the server's CPU during the window (pinned runs only).
    otherPct: pinned ? (Math.max(0, busy1.task - busy0.task - cpu) / res.windowMs) * 100 : NaN,
    // Interrupt time on the server's CPU (loopback packet processing), in no process's CPU time.
    irqPct: pinned ? ((busy1.irq - busy0.irq) / res.windowMs) * 100 : NaN,
    // Same on the load generator's CPU: latencies are measured there.
    otherGenPct: pinned && gen ? (Math.max(0, genBusy1.task - genBusy0.task - (gen.user + gen.system) / 1000) / res.windowMs) * 100 : NaN,
    ttftP50: percentile(res.ttft, 50),
    ttftP99: percentile(res.ttft, 99),
    addedP50: percentile(res.addedTtft, 50),
    addedP99: percentile(res.addedTtft, 99),
    mockTtftP50: percentile(mock.mockTtft, 50),
    mockTtftP99: percentile(mock.mockTtft, 99),
    totalP50: percentile(res.total, 50),
    totalP99: percentile(res.total, 99),
    peakRss,
    serverExited: h.exited,
    attempts: 1,
    _errors: res.errors,
  };
  // Time our threads were runnable but not running. Part of it is a process's own threads taking
  // turns on its one CPU; other processes only hurt when they took CPU time AND we waited, so the
  // interference estimate per CPU is the smaller of the two, and the figure is the larger of the
  // server's and the generator's.
  record.waitPct = ((sched1.waitMs - sched0.waitMs) / res.windowMs) * 100;
  record.genWaitPct = ((genSched1.waitMs - genSched0.waitMs) / res.windowMs) * 100;
  const srvIntf = Math.min(record.waitPct, record.otherPct);
  const genIntf = Math.min(record.genWaitPct, record.otherGenPct);
  record.interferencePct = [srvIntf, genIntf].filter(Number.isFinite).reduce((a, b) => Math.max(a, b), NaN);
  if (Number.isNaN(record.interferencePct) && Number.isFinite(srvIntf)) record.interferencePct = srvIntf;
  return record;
}

async function sectionLoad(mock) {
  const servers = new Map();
  for (const t of targets) {
    const h = await startServer(t, mock.url);
    servers.set(t.id, h);
    const w = await warmServer(h, t, mock);
    log(`started ${t.id} (pid ${h.pid}, ${SETUP} setup); warm-up: ${w.ok} ok, ${w.fail} failed`);
  }
  const phases = [];
  const total = repeats * workloads.length * concurrencies.length * targets.length;
  // A window in which other processes took a good share of the server's CPU is measured again
  // (the machine may be shared); the attempt with the least interference is kept.
  let retryBudget = Math.ceil(total * (QUICK ? 0.1 : 0.08));
  const maxRetries = QUICK ? 1 : 2;
  let n = 0;
  let previous = null;
  let group = 0;
  for (let r = 0; r < repeats; r++) {
    for (const w of workloads) {
      for (const c of concurrencies) {
        // Targets take turns; the order rotates from one phase group to the next.
        const k = group++ % targets.length;
        const order = targets.slice(k).concat(targets.slice(0, k));
        for (const t of order) {
          n++;
          let best = null;
          for (let attempt = 0; attempt <= maxRetries; attempt++) {
            let h = servers.get(t.id);
            if (h.exited) {
              log(`  ${t.id} had exited (log: ${h.logPath}: ${tail(h.logPath)}); restarting it`);
              h = await startServer(t, mock.url);
              servers.set(t.id, h);
            }
            await settle(previous);
            await settle(h);
            const p = await measurePhase(h, t, w, c, r, mock);
            previous = h;
            p.attempts = attempt + 1;
            if (!best || !(p.interferencePct >= best.interferencePct)) best = { ...p, attempts: attempt + 1 };
            else best.attempts = attempt + 1;
            if (!(p.interferencePct >= OTHER_RETRY_PCT) || retryBudget <= 0 || attempt === maxRetries) break;
            retryBudget--;
            log(`  r${r + 1} ${w.id} c=${c} ${t.id}: other processes held up the server or the generator (${Math.round(p.interferencePct)}% of the window); measuring again`);
            await sleep(500);
          }
          const p = best;
          const errs = p._errors;
          delete p._errors;
          phases.push(p);
          const fails = p.fail ? ` FAILED ${p.fail} (${topErrors(errs, 2)})` : '';
          log(
            `[${n}/${total}] r${r + 1} ${w.id} c=${c} ${t.id}: ${p.ok} ok${fails}; ${p.ok ? `${p.rps.toFixed(p.rps < 100 ? 1 : 0)} req/s, TTFT p50 ${fmtMs(p.ttftP50)} / p99 ${fmtMs(p.ttftP99)} ms, ` : ''}` +
              `CPU ${p.ok ? `${fmtMs(p.cpuPerReqMs)} ms/req, ` : ''}server ${Math.round(p.srvPct)}% / gen ${Math.round(p.genPct)}%` +
              `${p.interferencePct >= 10 ? ` / held up by other processes ${Math.round(p.interferencePct)}%` : ''}${p.steady ? '' : ' (warm-up cut short)'}${p.serverExited ? ' SERVER EXITED' : ''}`,
          );
        }
      }
    }
  }
  for (const h of servers.values()) await h.stop();
  return phases;
}

// ---------------------------------------------------------------------------------------------

async function main() {
  ensureBenchDeps();
  if (!fs.existsSync(path.join(ROOT, 'binding.js'))) {
    process.stderr.write('bench: the native addon is not built; run `npm install` in the repo root first\n');
    process.exit(1);
  }
  const machine = machineInfo();
  machine.versions = { 'js-1.10.6': jsVersion('@copilotkit/runtime-1.10.6'), 'js-1.75.0': jsVersion('@copilotkit/runtime-1.75.0') };
  log(`copilot-runtime-rs benchmark, ${machine.mode} run: ${targets.map((t) => t.id).join(', ')} × ${workloads.map((w) => w.id).join(', ')} × c=${concurrencies.join('/')} × ${repeats} repeat(s)`);
  log(`machine: ${machine.cpu}, ${machine.memGiB} GiB, ${machine.kernel}, node ${machine.node}; ${PIN.note}`);
  log(`server logs: ${LOG_DIR}`);

  const results = { machine, targets, workloads, footprint: null, coldstart: null, startup: null, phases: [] };
  if (!cli['no-footprint']) results.footprint = sectionFootprint();
  if (!cli['no-coldstart']) results.coldstart = sectionColdStart();

  const mock = await MockUpstream.start();
  log(`mock Gemini on ${mock.url}`);
  try {
    if (!cli['no-startup']) results.startup = await sectionStartup(mock);
    results.phases = await sectionLoad(mock);
  } finally {
    await mock.close();
  }
  results.machine.durationS = Math.round((Date.now() - t0run) / 1000);

  const summary = report.summarise(results, { JS_FOR });
  process.stdout.write(`\n${report.consoleReport(results, summary)}\n`);

  const outDir = path.join(BENCH, '.out');
  fs.mkdirSync(outDir, { recursive: true });
  const rawPath = path.join(outDir, `run-${machine.date.replace(/[:.]/g, '-')}.json`);
  fs.writeFileSync(rawPath, JSON.stringify({ ...results, summary }, null, 1));
  log(`raw results: ${path.relative(process.cwd(), rawPath)}`);
  if (WRITE) {
    const p = path.join(BENCH, 'RESULTS.md');
    fs.writeFileSync(p, report.updateResultsMd(fs.existsSync(p) ? fs.readFileSync(p, 'utf8') : '', results, summary));
    log(`updated ${path.relative(process.cwd(), p)}`);
  } else {
    log(`bench/RESULTS.md not updated (${QUICK ? 'quick runs write only with --write' : '--no-write'})`);
  }
  // Exit status: 0 when the harness worked, even if a target failed requests (that is a result).
}

main().catch((e) => {
  process.stderr.write(`bench: ${e && e.stack ? e.stack : e}\n`);
  process.exit(1);
});
