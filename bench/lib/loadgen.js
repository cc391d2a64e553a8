// Closed-loop load generator: `concurrency` workers, each sending one request, reading the
// streamed answer to its end, validating it, and sending the next. Runs in the same process as the
// mock upstream (pinned to the CPU the server under test does not use).
//
// A phase has a warm-up (until every worker has finished a request, or a time cap), then a
// measured window (a minimum duration and a minimum number of finished requests, or a time cap),
// then a drain in which no new request starts and nothing is counted. Only requests that finish
// inside the window count; a request counts as a success only when its checker accepts the whole
// answer.
'use strict';

const { Pool } = require('undici');
const { checkerFor } = require('./protocols');
const { parseMarker, markerChunk } = require('../mock-upstream');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A sleep that can be cancelled, so a race against it leaves no timer behind. */
function timer(ms) {
  let t;
  const p = new Promise((r) => (t = setTimeout(r, ms)));
  p.cancel = () => clearTimeout(t);
  return p;
}

function makePool(origin, connections) {
  return new Pool(origin, {
    connections,
    pipelining: 1,
    keepAliveTimeout: 60_000,
    keepAliveMaxTimeout: 600_000,
    headersTimeout: 0,
    bodyTimeout: 0,
    connect: { timeout: 10_000 },
  });
}

/**
 * Expectation for one workload: text answers are the mock's marker + chunks, tool answers the
 * capture's frontend tool with fixed arguments.
 */
function expectationFor(workload, tool, restText) {
  if (workload.kind === 'tool') return { kind: 'tool', name: tool.name, args: tool.args };
  return {
    kind: 'text',
    expectedText(text) {
      const seq = parseMarker(text);
      return seq < 0 ? '\u0000(no marker)' : markerChunk(seq) + restText;
    },
  };
}

/**
 * Send one request and read the answer. Resolves (never rejects) with
 * { ok, error, t0, tFirst (ms or NaN), tEnd, seq (marker or -1), connError }.
 */
function fire(pool, request, protocol, expect, timeoutMs, onFirstToken) {
  return new Promise((resolve) => {
    const checker = checkerFor(protocol, expect);
    const t0 = performance.now();
    let tFirst = NaN;
    let settled = false;
    let abortFn = null;
    const timer = setTimeout(() => {
      done(`timeout after ${Math.round(timeoutMs / 1000)} s`, false);
      if (abortFn) abortFn(new Error('bench timeout'));
    }, timeoutMs);
    function done(error, connError) {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      const tEnd = performance.now();
      const seq = expect.kind === 'text' ? parseMarker(checker.text) : -1;
      resolve({ ok: !error, error, t0, tFirst, tEnd, seq, connError: !!connError });
    }
    try {
      pool.dispatch(
        { path: request.path, method: request.method, headers: request.headers, body: request.body() },
        {
          onConnect(abort) {
            abortFn = abort;
          },
          onHeaders(statusCode, rawHeaders, resume) {
            let ct = '';
            for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
              if (rawHeaders[i].length === 12 && rawHeaders[i].toString('latin1').toLowerCase() === 'content-type') {
                ct = rawHeaders[i + 1].toString('latin1');
                break;
              }
            }
            checker.headers(statusCode, ct);
            return true;
          },
          onData(chunk) {
            if (checker.data(chunk)) {
              tFirst = performance.now();
              if (onFirstToken) onFirstToken();
            }
            return true;
          },
          onComplete() {
            done(checker.finish(), false);
          },
          onError(err) {
            const code = err && (err.code || err.name);
            const conn = /ECONNREFUSED|ECONNRESET|EPIPE|UND_ERR_SOCKET|UND_ERR_CONNECT|UND_ERR_CLOSED/.test(String(code));
            done(`${conn ? 'connection' : 'request'} error: ${code || err}`, conn);
          },
        },
      );
    } catch (err) {
      done(`dispatch error: ${err.message}`, true);
    }
  });
}

/**
 * Run one phase against one target.
 * opts: { origin, protocol, request, workload, expect, concurrency, mock,
 *         warmup: { maxMs }, window: { minMs, minCompleted, maxMs }, timeoutMs,
 *         onWindowStart(), onWindowEnd() }
 * Returns the window's counts and samples.
 */
async function runPhase(opts) {
  const { concurrency, mock } = opts;
  const pool = makePool(opts.origin, concurrency);
  const res = {
    ok: 0,
    fail: 0,
    errors: new Map(),
    ttft: [],
    total: [],
    addedTtft: [],
    windowMs: 0,
    warmupCompleted: 0,
  };
  let state = 'warmup';
  let warmCompleted = 0;
  let windowStart = 0;
  let windowCompleted = 0;
  const phaseStart = performance.now();
  let resolveWindowEnd;
  const windowEnded = new Promise((r) => (resolveWindowEnd = r));
  let windowStartedResolve;
  const windowStarted = new Promise((r) => (windowStartedResolve = r));
  let warmTimer = null;
  let windowTimer = null;
  let capTimer = null;

  const startWindow = () => {
    if (state !== 'warmup') return;
    state = 'measure';
    clearTimeout(warmTimer);
    if (opts.onWindowStart) opts.onWindowStart();
    if (mock) mock.resetPhase();
    windowStart = performance.now();
    windowStartedResolve();
    windowTimer = setTimeout(checkWindowEnd, opts.window.minMs);
    capTimer = setTimeout(endWindow, opts.window.maxMs);
  };
  const checkWindowEnd = () => {
    if (state !== 'measure') return;
    const el = performance.now() - windowStart;
    if (el >= opts.window.minMs && windowCompleted >= opts.window.minCompleted) endWindow();
  };
  const endWindow = () => {
    if (state !== 'measure') return;
    state = 'drain';
    clearTimeout(windowTimer);
    clearTimeout(capTimer);
    res.windowMs = performance.now() - windowStart;
    if (opts.onWindowEnd) opts.onWindowEnd();
    resolveWindowEnd();
  };
  warmTimer = setTimeout(startWindow, opts.warmup.maxMs);

  const record = (r) => {
    if (state === 'warmup') {
      warmCompleted++;
      if (warmCompleted >= Math.max(opts.warmup.minCompleted ?? 0, concurrency)) startWindow();
      if (mock && r.seq >= 0) mock.takeFirstWrite(r.seq);
      return;
    }
    if (state !== 'measure') {
      if (mock && r.seq >= 0) mock.takeFirstWrite(r.seq);
      return;
    }
    windowCompleted++;
    if (r.ok) {
      res.ok++;
      res.total.push(r.tEnd - r.t0);
      if (Number.isFinite(r.tFirst)) res.ttft.push(r.tFirst - r.t0);
      if (mock && r.seq >= 0) {
        const w = mock.takeFirstWrite(r.seq);
        if (w !== undefined && Number.isFinite(r.tFirst)) res.addedTtft.push(r.tFirst - w);
      }
    } else {
      res.fail++;
      res.errors.set(r.error, (res.errors.get(r.error) || 0) + 1);
      if (mock && r.seq >= 0) mock.takeFirstWrite(r.seq);
    }
    if (performance.now() - windowStart >= opts.window.minMs && windowCompleted >= opts.window.minCompleted) endWindow();
  };

  const worker = async () => {
    while (state === 'warmup' || state === 'measure') {
      const r = await fire(pool, opts.request, opts.protocol, opts.expect, opts.timeoutMs);
      record(r);
      // A dead or refusing server fails instantly: do not spin.
      if (r.connError) await sleep(20);
    }
  };
  const workers = [];
  for (let i = 0; i < concurrency; i++) workers.push(worker());
  await windowStarted;
  await windowEnded;
  res.warmupCompleted = warmCompleted;
  // Drain: wait for in-flight requests (not counted), with a cap.
  const drainCap = timer(opts.drainMs ?? 30_000);
  await Promise.race([Promise.all(workers), drainCap]);
  drainCap.cancel();
  await pool.destroy().catch(() => {});
  res.phaseMs = performance.now() - phaseStart;
  return res;
}

/**
 * Open `count` streams at once and keep them open (the mock holds every answer after its first
 * chunk). Resolves when every stream has its first token, or at `timeoutMs`, with
 * { open, release(): Promise<{ ok, fail, errors }> }.
 */
async function openStreams({ origin, protocol, request, expect, count, timeoutMs, mock }) {
  const pool = makePool(origin, count);
  let open = 0;
  let allOpen;
  const allOpenP = new Promise((r) => (allOpen = r));
  const onFirst = () => {
    open++;
    if (open === count) allOpen();
  };
  const results = [];
  for (let i = 0; i < count; i++) {
    results.push(fire(pool, request, protocol, expect, timeoutMs * 3, onFirst));
  }
  // Requests that fail early never open: stop waiting once all have either opened or finished.
  const settled = Promise.all(results);
  const cap = timer(timeoutMs);
  await Promise.race([allOpenP, cap, settled]);
  cap.cancel();
  return {
    open,
    async release() {
      mock.release();
      const rs = await settled;
      await pool.destroy().catch(() => {});
      const errors = new Map();
      let ok = 0;
      for (const r of rs) {
        if (r.ok) ok++;
        else errors.set(r.error, (errors.get(r.error) || 0) + 1);
        if (r.seq >= 0) mock.takeFirstWrite(r.seq);
      }
      return { ok, fail: rs.length - ok, errors };
    },
  };
}

module.exports = { runPhase, fire, makePool, openStreams, expectationFor };
