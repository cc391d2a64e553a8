// Turning a run into medians, ratios, target checks, the console table and bench/RESULTS.md.
'use strict';

const { median } = require('./stats');

const MB = 2 ** 20;

// ---------------------------------------------------------------------------------------------
// Aggregation

function mergeCounts(list) {
  const out = {};
  for (const e of list) for (const [k, v] of Object.entries(e || {})) out[k] = (out[k] || 0) + v;
  return out;
}

/** Medians over repeats per (workload, concurrency, target), then ratios within the run. */
function summarise(results, { JS_FOR }) {
  const byKey = new Map();
  for (const p of results.phases) {
    const k = `${p.workload}|${p.concurrency}|${p.target}`;
    if (!byKey.has(k)) byKey.set(k, []);
    byKey.get(k).push(p);
  }
  const med = (ps, f) => median(ps.filter((p) => p.ok > 0).map((p) => p[f]));
  const cells = {};
  for (const [k, ps] of byKey) {
    const [workload, c, target] = k.split('|');
    cells[k] = {
      workload,
      concurrency: Number(c),
      target,
      repeats: ps.length,
      ok: ps.reduce((a, p) => a + p.ok, 0),
      fail: ps.reduce((a, p) => a + p.fail, 0),
      errors: mergeCounts(ps.map((p) => p.errors)),
      steady: ps.every((p) => p.steady),
      rps: median(ps.map((p) => p.rps)),
      cpuPerReqMs: med(ps, 'cpuPerReqMs'),
      srvPct: median(ps.map((p) => p.srvPct)),
      genPct: median(ps.map((p) => p.genPct)),
      intfPct: median(ps.map((p) => p.interferencePct)),
      ttftP50: med(ps, 'ttftP50'),
      ttftP99: med(ps, 'ttftP99'),
      addedP50: med(ps, 'addedP50'),
      addedP99: med(ps, 'addedP99'),
      mockTtftP50: med(ps, 'mockTtftP50'),
      totalP50: med(ps, 'totalP50'),
      totalP99: med(ps, 'totalP99'),
      peakRss: Math.max(...ps.map((p) => p.peakRss || 0)),
      cpuWindowMs: median(ps.map((p) => p.cpuWindowMs)),
      serverExited: ps.some((p) => p.serverExited),
    };
  }
  const protocolOf = Object.fromEntries(results.targets.map((t) => [t.id, t.protocol]));
  for (const cell of Object.values(cells)) {
    const floor = cells[`${cell.workload}|${cell.concurrency}|floor`];
    const jsId = JS_FOR[protocolOf[cell.target]];
    const js = jsId && jsId !== cell.target ? cells[`${cell.workload}|${cell.concurrency}|${jsId}`] : null;
    const valid = (x) => x && x.ok > 0;
    cell.rpsVsFloor = valid(floor) && cell.target !== 'floor' ? cell.rps / floor.rps : NaN;
    cell.rpsVsJs = valid(js) ? cell.rps / js.rps : NaN;
    cell.cpuVsFloor = valid(floor) && cell.target !== 'floor' ? cell.cpuPerReqMs / floor.cpuPerReqMs : NaN;
    cell.cpuVsJs = valid(js) ? cell.cpuPerReqMs / js.cpuPerReqMs : NaN;
    cell.addedP99OverFloor = valid(floor) && cell.target !== 'floor' ? cell.addedP99 - floor.addedP99 : NaN;
  }

  // One-shot figures per target.
  const perTarget = {};
  for (const t of results.targets) {
    const fp = results.footprint ? results.footprint[t.server] : null;
    const cs = results.coldstart ? results.coldstart.results[t.server] : null;
    const st = results.startup ? results.startup[t.id] : null;
    const at256 = Object.values(cells).filter((c) => c.target === t.id && c.concurrency === 256);
    perTarget[t.id] = {
      footprint: fp || null,
      coldstart: cs || null,
      startup: st || null,
      peakRss256: at256.length ? Math.max(...at256.map((c) => c.peakRss)) : NaN,
      failures: Object.values(cells).filter((c) => c.target === t.id).reduce((a, c) => a + c.fail, 0),
      successes: Object.values(cells).filter((c) => c.target === t.id).reduce((a, c) => a + c.ok, 0),
      errors: mergeCounts(Object.values(cells).filter((c) => c.target === t.id).map((c) => c.errors)),
    };
  }

  return { cells, perTarget, checks: checks(results, cells, perTarget) };
}

/** The issue's targets, for each of our targets. */
function checks(results, cells, perTarget) {
  const out = [];
  const cell = (w, c, t) => cells[`${w}|${c}|${t}`];
  for (const t of results.targets.filter((x) => x.ours)) {
    const add = (criterion, goal, measured, pass, note) => out.push({ target: t.id, criterion, goal, measured, pass, note });
    for (const w of ['text50', 'tool']) {
      const x = cell(w, 64, t.id);
      if (!x) add(`CPU/request vs floor, ${w}, c=64`, '≤ 2.0×', 'not measured', null);
      else if (!x.ok) add(`CPU/request vs floor, ${w}, c=64`, '≤ 2.0×', `no valid answers (${x.fail} failed)`, false);
      else add(`CPU/request vs floor, ${w}, c=64`, '≤ 2.0×', ratio(x.cpuVsFloor), x.cpuVsFloor <= 2);
    }
    {
      const x = cell('paced20', 64, t.id);
      const crit = 'added TTFT p99 over the floor, paced20, c=64';
      if (!x) add(crit, '≤ 1 ms', 'not measured', null);
      else if (!x.ok) add(crit, '≤ 1 ms', `no valid answers (${x.fail} failed)`, false);
      else add(crit, '≤ 1 ms', `${signed(x.addedP99OverFloor)} ms`, x.addedP99OverFloor <= 1);
    }
    for (const w of ['text50', 'tool']) {
      const x = cell(w, 64, t.id);
      const crit = `throughput vs JS runtime, ${w}, c=64`;
      if (!x) add(crit, '≥ 10×', 'not measured', null);
      else if (!x.ok) add(crit, '≥ 10×', `no valid answers (${x.fail} failed)`, false);
      else add(crit, '≥ 10×', ratio(x.rpsVsJs), x.rpsVsJs >= 10, x.genPct >= 90 ? 'load generator saturated: lower bound' : undefined);
    }
    const pt = perTarget[t.id];
    const st = pt.startup;
    if (!st || st.error) add('idle RSS', '≤ 70 MiB', st ? st.error : 'not measured', null);
    else add('idle RSS', '≤ 70 MiB', `${(st.idleRss / MB).toFixed(1)} MiB`, st.idleRss <= 70 * MB, st.firstAnswerOk ? undefined : 'requests were failing');
    if (!st || st.error) add('RSS per open stream', '≤ 40 KiB', 'not measured', null);
    else if (!Number.isFinite(st.perStreamBytes)) add('RSS per open stream', '≤ 40 KiB', `only ${st.streamsOpen}/${st.streamsRequested} streams opened`, false);
    else add('RSS per open stream', '≤ 40 KiB', `${(st.perStreamBytes / 1024).toFixed(1)} KiB`, st.perStreamBytes <= 40 * 1024);
    if (!st || st.error) add('start → first answered request', '≤ 100 ms', 'not measured', null);
    else if (!st.firstAnswerOk) add('start → first answered request', '≤ 100 ms', `first request failed: ${st.firstAnswerError}`, false);
    else {
      // Context: how much of it is Node's own start-up, and what the bare passthrough needs.
      const floorSt = results.targets.filter((x) => x.id === 'floor').map((x) => perTarget[x.id] && perTarget[x.id].startup)[0];
      const boot = results.coldstart ? results.coldstart.baselineMs : NaN;
      const parts = [];
      if (Number.isFinite(boot)) parts.push(`node -e 0 alone ${boot.toFixed(0)} ms`);
      if (floorSt && floorSt.firstAnswerOk) parts.push(`floor ${floorSt.firstAnswerMs.toFixed(0)} ms`);
      add('start → first answered request', '≤ 100 ms', `${st.firstAnswerMs.toFixed(0)} ms`, st.firstAnswerMs <= 100, parts.length ? parts.join('; ') : undefined);
    }
  }
  // Package-level figures: one require() and one install serve both protocols.
  const oursTarget = results.targets.find((x) => x.ours);
  if (oursTarget) {
    const add = (criterion, goal, measured, pass, note) => out.push({ target: 'ours (package)', criterion, goal, measured, pass, note });
    const pt = perTarget[oursTarget.id];
    const cs = pt.coldstart;
    if (!cs) add('require() over `node -e 0`', '≤ 30 ms', 'not measured', null);
    else if (cs.error) add('require() over `node -e 0`', '≤ 30 ms', cs.error, false);
    else add('require() over `node -e 0`', '≤ 30 ms', `${cs.overBaselineMs.toFixed(1)} ms`, cs.overBaselineMs <= 30);
    const fp = pt.footprint;
    if (!fp || fp.error) add('install footprint', '≤ 15 MB, ≤ 5 packages', fp ? fp.error : 'not measured', null);
    else add('install footprint', '≤ 15 MB, ≤ 5 packages', `${(fp.bytes / 1e6).toFixed(1)} MB, ${fp.packages} pkg`, fp.bytes <= 15e6 && fp.packages <= 5);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Formatting

function ms(x) {
  if (!Number.isFinite(x)) return '—';
  return x < 10 ? x.toFixed(2) : x < 100 ? x.toFixed(1) : String(Math.round(x));
}
function signed(x) {
  if (!Number.isFinite(x)) return '—';
  return `${x >= 0 ? '+' : ''}${ms(x)}`;
}
function ratio(x) {
  if (!Number.isFinite(x)) return '—';
  return x < 10 ? `${x.toFixed(2)}×` : `${Math.round(x)}×`;
}
function rate(x) {
  if (!Number.isFinite(x)) return '—';
  return x < 100 ? x.toFixed(1) : String(Math.round(x));
}
function pct(x) {
  return Number.isFinite(x) ? String(Math.round(x)) : '—';
}
function mb(x) {
  return Number.isFinite(x) && x > 0 ? (x / MB).toFixed(1) : '—';
}

const COLUMNS = [
  ['workload', 'l'],
  ['c', 'r'],
  ['target', 'l'],
  ['ok', 'r'],
  ['failed', 'r'],
  ['req/s', 'r'],
  ['×floor', 'r'],
  ['×JS', 'r'],
  ['TTFT p50', 'r'],
  ['TTFT p99', 'r'],
  ['+TTFT p50', 'r'],
  ['+TTFT p99', 'r'],
  ['Δfloor p99', 'r'],
  ['total p50', 'r'],
  ['total p99', 'r'],
  ['CPU ms/req', 'r'],
  ['×floor', 'r'],
  ['×JS', 'r'],
  ['srv %', 'r'],
  ['gen %', 'r'],
  ['intf %', 'r'],
  ['RSS MiB', 'r'],
];

function mainRows(results, summary) {
  const rows = [];
  for (const w of results.workloads) {
    for (const c of results.machine.concurrencies) {
      for (const t of results.targets) {
        const x = summary.cells[`${w.id}|${c}|${t.id}`];
        if (!x) continue;
        const none = x.ok === 0;
        const marks = `${x.genPct >= 90 ? '†' : ''}${x.steady ? '' : '~'}`;
        const text = w.kind === 'text';
        rows.push([
          w.id,
          String(c),
          t.id,
          String(x.ok),
          x.fail ? `**${x.fail}**` : '0',
          none ? '—' : `${rate(x.rps)}${marks}`,
          none ? '—' : ratio(x.rpsVsFloor),
          none ? '—' : ratio(x.rpsVsJs),
          none ? '—' : ms(x.ttftP50),
          none ? '—' : ms(x.ttftP99),
          none || !text ? '—' : ms(x.addedP50),
          none || !text ? '—' : ms(x.addedP99),
          none || !text ? '—' : signed(x.addedP99OverFloor),
          none ? '—' : ms(x.totalP50),
          none ? '—' : ms(x.totalP99),
          none ? '—' : `${ms(x.cpuPerReqMs)}${x.cpuWindowMs < 200 ? '±' : ''}`,
          none ? '—' : ratio(x.cpuVsFloor),
          none ? '—' : ratio(x.cpuVsJs),
          pct(x.srvPct),
          pct(x.genPct),
          pct(x.intfPct),
          mb(x.peakRss),
        ]);
      }
    }
  }
  return rows;
}

function targetRows(results, summary) {
  const rows = [];
  const baseline = results.coldstart ? results.coldstart.baselineMs : NaN;
  for (const t of results.targets) {
    const pt = summary.perTarget[t.id];
    const cs = pt.coldstart;
    const st = pt.startup;
    const fp = pt.footprint;
    rows.push([
      t.id,
      t.server === 'floor' ? 'n/a' : !cs ? '—' : cs.error ? 'failed' : `${ms(cs.wallMs)} (${signed(cs.overBaselineMs)})`,
      !st || st.error ? '—' : `${ms(st.readyMs)}`,
      !st || st.error ? '—' : st.firstAnswerOk ? ms(st.firstAnswerMs) : `failed (${st.firstAnswerError})`,
      !st || st.error ? '—' : mb(st.idleRss),
      mb(pt.peakRss256),
      !st || st.error ? '—' : `${st.streamsOpen}/${st.streamsRequested} → ${mb(st.openRss)}`,
      !st || st.error || !Number.isFinite(st.perStreamBytes) ? '—' : (st.perStreamBytes / 1024).toFixed(1),
      t.server === 'floor' ? 'n/a' : !fp || fp.error ? '—' : `${(fp.bytes / 1e6).toFixed(1)} MB / ${fp.packages}`,
      `${pt.successes}`,
      pt.failures ? `**${pt.failures}**` : '0',
    ]);
  }
  return { rows, baseline };
}

const TARGET_COLUMNS = [
  ['target', 'l'],
  ['require() ms (+ over node -e 0)', 'r'],
  ['spawn → listening ms', 'r'],
  ['spawn → first answer ms', 'r'],
  ['idle RSS MiB', 'r'],
  ['peak RSS c=256 MiB', 'r'],
  ['streams open → RSS MiB', 'r'],
  ['KiB / open stream', 'r'],
  ['install MB / packages', 'r'],
  ['ok (load)', 'r'],
  ['failed (load)', 'r'],
];

function textTable(columns, rows) {
  const plain = (s) => String(s).replace(/\*\*/g, '');
  const widths = columns.map(([h], i) => Math.max(h.length, ...rows.map((r) => plain(r[i]).length)));
  const fmt = (cells) =>
    cells
      .map((s, i) => {
        const v = plain(s);
        return columns[i][1] === 'l' ? v.padEnd(widths[i]) : v.padStart(widths[i]);
      })
      .join('  ');
  return [fmt(columns.map(([h]) => h)), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(fmt)].join('\n');
}

function mdTable(columns, rows) {
  const head = `| ${columns.map(([h]) => h).join(' | ')} |`;
  const sep = `|${columns.map(([, a]) => (a === 'r' ? '---:' : ':---')).join('|')}|`;
  return [head, sep, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

function failureLines(results, summary) {
  const lines = [];
  for (const t of results.targets) {
    const pt = summary.perTarget[t.id];
    if (!pt.failures) continue;
    const top = Object.entries(pt.errors)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 4)
      .map(([e, k]) => `${e} ×${k}`)
      .join('; ');
    lines.push(`${t.id}: ${pt.failures} of ${pt.failures + pt.successes} requests failed validation and were not timed — ${top}`);
  }
  return lines;
}

function checkRows(summary) {
  return summary.checks.map((c) => [c.target, c.criterion, c.goal, c.measured, c.pass === null ? 'not measured' : c.pass ? 'PASS' : '**FAIL**', c.note || '']);
}
const CHECK_COLUMNS = [
  ['target', 'l'],
  ['criterion', 'l'],
  ['goal', 'l'],
  ['measured', 'l'],
  ['result', 'l'],
  ['note', 'l'],
];

const LEGEND = [
  'Medians over repeats; ratios are taken within this run. req/s counts only validated answers.',
  '×floor / ×JS: this row divided by the floor / by the JS runtime on the same protocol (GraphQL → 1.10.6, AG-UI → 1.75.0), same workload and concurrency.',
  'TTFT: request sent → first token (text delta or tool call) parsed by the client. +TTFT: mock wrote the first chunk → client parsed it (per request, one clock), i.e. the latency the server adds; Δfloor: +TTFT p99 minus the floor\'s.',
  'CPU ms/req: server utime+stime (/proc/PID/stat, all threads) over the measured window ÷ validated answers. srv % / gen %: CPU use of the server / of the load generator + mock process over the window. intf %: how long other processes held up the server or the generator (time runnable but waiting for the CPU, capped by the CPU time other processes took there; the larger of the two processes). RSS: highest sampled during the phase (a process\'s RSS carries over from earlier phases).',
  '± fewer than 20 clock ticks (200 ms) of server CPU in the window: the CPU figure is coarse (±5 % or worse).',
  '† load generator ≥ 90 % busy: the server was not the bottleneck, req/s is a lower bound. ~ warm-up cut short (slow target at high concurrency): latencies are biased low.',
];

function noise(results) {
  const v = results.phases.map((p) => p.interferencePct).filter(Number.isFinite);
  if (!v.length) return null;
  const med = median(v);
  const max = Math.max(...v);
  const bad = v.filter((x) => x >= 10).length;
  const retried = results.phases.filter((p) => p.attempts > 1).length;
  return {
    med,
    max,
    bad,
    text:
      `Interference from other processes (intf %) in the kept windows: median ${med.toFixed(1)} %, max ${max.toFixed(0)} %` +
      `${bad ? ` (${bad} of ${v.length} windows ≥ 10 %: throughput and latency there are noisy; CPU/request much less so)` : ''}` +
      `${retried ? `; ${retried} phase(s) were measured again because of it` : ''}.`,
  };
}

function consoleReport(results, summary) {
  const m = results.machine;
  const out = [];
  out.push(`copilot-runtime-rs benchmark — ${m.date} — ${m.mode} run (${m.repeats} repeat(s), setup: ${m.setup}) — ${m.cpu}, node ${m.node}`);
  out.push(m.pinning);
  const nz = noise(results);
  if (nz) out.push(nz.text);
  out.push('');
  out.push(textTable(COLUMNS, mainRows(results, summary)));
  out.push('');
  for (const l of LEGEND) out.push(`  ${l}`);
  out.push('');
  const { rows, baseline } = targetRows(results, summary);
  out.push(textTable(TARGET_COLUMNS, rows));
  out.push(`  node -e 0: ${ms(baseline)} ms. Idle RSS: after the first answer and 20 more requests. Streams are held open by the mock after their first chunk.`);
  out.push('');
  const fl = failureLines(results, summary);
  if (fl.length) {
    out.push('Failed requests (counted, never timed):');
    for (const l of fl) out.push(`  ${l}`);
    out.push('');
  }
  out.push('Targets:');
  out.push(textTable(CHECK_COLUMNS, checkRows(summary)));
  return out.join('\n');
}

// ---------------------------------------------------------------------------------------------
// RESULTS.md

const START = '<!-- bench:results:start (written by `npm run bench`; edit outside these markers) -->';
const END = '<!-- bench:results:end -->';
const LOG_START = '<!-- bench:log:start -->';
const LOG_END = '<!-- bench:log:end -->';

function resultsSection(results, summary) {
  const m = results.machine;
  const oursFailing = results.targets.filter((t) => t.ours).some((t) => summary.perTarget[t.id].failures > 0);
  const nz = noise(results);
  const noisy = !!nz && (nz.med >= 10 || nz.bad > results.phases.length / 4);
  const preliminary = m.mode !== 'full' || oursFailing || noisy;
  const out = [];
  out.push(`### Latest run: ${m.date.slice(0, 16).replace('T', ' ')} UTC${preliminary ? ' — PRELIMINARY' : ''}`);
  out.push('');
  if (preliminary) {
    const why = [];
    if (m.mode !== 'full') why.push(`a ${m.mode} run (concurrency ${m.concurrencies.join('/')}, ${m.repeats} repeat(s), ${m.streams} streams held open)`);
    if (oursFailing) why.push("requests to our targets failed validation (see Failed requests below), so their rows carry no figures");
    if (noisy) why.push(`other processes held up the benchmark in ${nz.bad} of ${results.phases.length} windows (intf % ≥ 10), so throughput and latency are noisy`);
    const next = oursFailing
      ? 'Rerun the full `npm run bench` once our targets answer.'
      : m.mode !== 'full'
        ? 'Replace with a full `npm run bench` run.'
        : 'Rerun the full `npm run bench` on a quiet machine (or with `--priority -10`).';
    out.push(`> **Preliminary:** ${why.join('; ')}. ${next}`);
    out.push('');
  }
  out.push(`- Machine: ${m.cpu}, ${m.memGiB} GiB RAM, ${m.kernel}; Node ${m.node}, npm ${m.npm}`);
  out.push(`- Pinning: ${m.pinning}`);
  if (nz) out.push(`- ${nz.text}`);
  out.push(`- Commit: ${m.commit}; JS runtimes: @copilotkit/runtime ${m.versions['js-1.10.6']} and ${m.versions['js-1.75.0']}; setup: \`${m.setup}\``);
  out.push(`- Run: ${m.mode}, concurrency ${m.concurrencies.join(', ')}, ${m.repeats} repeat(s), ${m.durationS} s`);
  out.push('');
  out.push('#### Load');
  out.push('');
  out.push(mdTable(COLUMNS, mainRows(results, summary)));
  out.push('');
  for (const l of LEGEND) out.push(`- ${l}`);
  out.push('');
  out.push('#### Start-up, memory, footprint');
  out.push('');
  const { rows, baseline } = targetRows(results, summary);
  out.push(mdTable(TARGET_COLUMNS, rows));
  out.push('');
  const samples = Object.values(results.startup || {}).map((r) => r && r.startSamples).find(Boolean);
  out.push(`\`node -e 0\` took ${ms(baseline)} ms.${samples ? ` Spawn → listening / first answer: median of ${samples} fresh starts per target.` : ''} Install footprints: ${footprintNotes(results)}.`);
  out.push('');
  const fl = failureLines(results, summary);
  if (fl.length) {
    out.push('#### Failed requests (counted, never timed)');
    out.push('');
    for (const l of fl) out.push(`- ${l}`);
    out.push('');
  }
  out.push('#### Targets');
  out.push('');
  out.push(mdTable(CHECK_COLUMNS, checkRows(summary)));
  return out.join('\n');
}

function footprintNotes(results) {
  if (!results.footprint) return 'not measured';
  return Object.entries(results.footprint)
    .map(([k, v]) => `${k}: ${v && v.how ? v.how : v && v.error ? `failed (${v.error})` : 'n/a'}`)
    .join('; ');
}

function logLine(results, summary) {
  const m = results.machine;
  const bits = [];
  for (const t of results.targets.filter((x) => x.ours)) {
    const c = summary.cells[`text50|64|${t.id}`];
    if (!c) continue;
    bits.push(c.ok ? `${t.id} text50@64 CPU ${ratio(c.cpuVsFloor)} floor, ${ratio(c.rpsVsJs)} JS req/s` : `${t.id}: ${c.fail} failed`);
  }
  return `- ${m.date.slice(0, 16).replace('T', ' ')} · ${m.commit} · ${m.mode} · ${bits.join(' · ') || 'no figures for our targets'}`;
}

function updateResultsMd(existing, results, summary) {
  let doc = existing && existing.includes(START) && existing.includes(END) ? existing : TEMPLATE;
  const a = doc.indexOf(START) + START.length;
  const b = doc.indexOf(END);
  doc = `${doc.slice(0, a)}\n\n${resultsSection(results, summary)}\n\n${doc.slice(b)}`;
  if (doc.includes(LOG_START) && doc.includes(LOG_END)) {
    const la = doc.indexOf(LOG_START) + LOG_START.length;
    const lb = doc.indexOf(LOG_END);
    const old = doc.slice(la, lb).trim();
    doc = `${doc.slice(0, la)}\n${logLine(results, summary)}${old ? `\n${old}` : ''}\n${doc.slice(lb)}`;
  }
  return doc;
}

const TEMPLATE = `# Benchmark results

\`npm run bench\` writes the section between the markers below (see bench/README.md for what is
measured and how). Keep it current: re-run the full benchmark when performance work lands and
commit the updated file.

${START}
${END}

## Run log

One line per run that wrote this file (newest first).

${LOG_START}
${LOG_END}
`;

module.exports = { summarise, consoleReport, updateResultsMd, TEMPLATE };
