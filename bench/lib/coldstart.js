// `require()` cold start: wall time of `node -e "require(X)"` minus `node -e 0`, each a fresh
// process pinned to the server CPU, run in back-to-back pairs; the median of the N differences. Also the time the require
// itself takes inside the process (performance.now() around it), which excludes Node's boot.
'use strict';

const { spawnSync } = require('node:child_process');
const { median } = require('./stats');

function timeNode(pin, code, cwd, env) {
  const argv = [...pin, process.execPath, '-e', code];
  const t = performance.now();
  const r = spawnSync(argv[0], argv.slice(1), { cwd, env, encoding: 'utf8', timeout: 60_000 });
  const ms = performance.now() - t;
  if (r.status !== 0) throw new Error(`${code}: exit ${r.status ?? r.signal}: ${(r.stderr || '').trim().split('\n').slice(-1)[0]}`);
  return { ms, out: r.stdout.trim() };
}

/**
 * modules: [{ id, request (what to require), cwd }]. Returns
 * { baselineMs, results: { [id]: { wallMs, overBaselineMs, inProcessMs, error? } } }.
 */
function measure(modules, { pairs, pin, env }) {
  const base = [];
  const per = Object.fromEntries(modules.map((m) => [m.id, { wall: [], diff: [], inproc: [], error: null }]));
  // One untimed round first: page cache warm, so every package is measured the same way.
  for (const m of modules) {
    try {
      timeNode(pin, `require(${JSON.stringify(m.request)})`, m.cwd, env);
    } catch (e) {
      per[m.id].error = e.message;
    }
  }
  for (let i = 0; i < pairs; i++) {
    for (const m of modules) {
      if (per[m.id].error) continue;
      const b = timeNode(pin, '0', m.cwd, env).ms;
      base.push(b);
      const code = `const t=performance.now();require(${JSON.stringify(m.request)});process.stdout.write(String(performance.now()-t))`;
      const r = timeNode(pin, code, m.cwd, env);
      per[m.id].wall.push(r.ms);
      // Each pair runs back to back, so a difference within a pair is less exposed to load drifting.
      per[m.id].diff.push(r.ms - b);
      per[m.id].inproc.push(Number(r.out));
    }
  }
  const baselineMs = median(base);
  const results = {};
  for (const m of modules) {
    const p = per[m.id];
    if (p.error) results[m.id] = { error: p.error };
    else {
      const wallMs = median(p.wall);
      results[m.id] = { wallMs, overBaselineMs: median(p.diff), inProcessMs: median(p.inproc) };
    }
  }
  return { baselineMs, results };
}

module.exports = { measure };
