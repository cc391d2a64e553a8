#!/usr/bin/env node
// Soak test (not part of `npm test`): a mock Gemini in this process, the runtime behind
// copilotRuntimeNodeHttpEndpoint in a child process, N concurrent chats for M minutes
// alternating AG-UI runs (SSE) and GraphQL generateCopilotResponse (multipart/mixed). Prints the
// server child's RSS every 10 s and a summary (ok/failed, RSS after warm-up vs last, verdict).
//
//   node scripts/soak.js [--concurrency 64] [--minutes 10] [--delay-ms 5] [--warmup-s 20]
//
// Exit code: 0 when every request completed and RSS stayed flat, 1 otherwise.
'use strict';

const http = require('node:http');
const fs = require('node:fs');
const path = require('node:path');
const { fork } = require('node:child_process');
const { randomUUID } = require('node:crypto');

const ROOT = path.resolve(__dirname, '..');

function arg(name, def) {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return def;
  const v = Number(process.argv[i + 1]);
  if (!Number.isFinite(v) || v < 0) throw new Error(`--${name} expects a number`);
  return v;
}

// ------------------------------------------------------------------------------------------------
// child: the server under test

async function serverMain(mockUrl) {
  const { CopilotRuntime, GoogleGenerativeAIAdapter, copilotRuntimeNodeHttpEndpoint } = require(ROOT);
  const handler = copilotRuntimeNodeHttpEndpoint({
    runtime: new CopilotRuntime(),
    serviceAdapter: new GoogleGenerativeAIAdapter({ apiKey: 'soak', baseUrl: mockUrl }),
    endpoint: '/api/copilotkit',
  });
  const server = http.createServer((req, res) => handler(req, res));
  server.keepAliveTimeout = 30000;
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  process.send({ port: server.address().port });
  process.on('disconnect', () => process.exit(0));
}

// ------------------------------------------------------------------------------------------------
// parent: load generator

function rssKb(pid) {
  try {
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

const mb = (kb) => (kb == null ? 'n/a' : `${(kb / 1024).toFixed(1)} MB`);

function post(agent, port, headers, body, timeoutMs) {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, path: '/api/copilotkit', method: 'POST', agent, headers: { 'content-type': 'application/json', ...headers } },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
        res.on('aborted', () => reject(new Error('response aborted')));
      },
    );
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no response within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

async function main() {
  const concurrency = Math.max(1, Math.floor(arg('concurrency', 64)));
  const minutes = arg('minutes', 10);
  const delayMs = arg('delay-ms', 5);
  const durationMs = minutes * 60_000;
  const warmupMs = Math.min(arg('warmup-s', 20) * 1000, durationMs / 3);

  const { MockGemini } = require(path.join(ROOT, '__test__/support/mock-gemini.js'));
  const mock = await MockGemini.start();
  const gqlTemplate = JSON.parse(fs.readFileSync(path.join(__dirname, 'soak-graphql-request.json'), 'utf8'));

  const child = fork(__filename, ['--server', mock.url], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const port = await new Promise((resolve, reject) => {
    child.once('message', (m) => resolve(m.port));
    child.once('exit', (code) => reject(new Error(`server child exited early (${code})`)));
  });
  console.log(`soak: server pid ${child.pid} on 127.0.0.1:${port}, mock Gemini ${mock.url}; concurrency ${concurrency}, ${minutes} min`);

  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const stats = { ok: 0, failed: 0, agui: 0, graphql: 0, errors: new Map() };
  const fail = (kind, why) => {
    stats.failed++;
    const key = `${kind}: ${String(why).slice(0, 160)}`;
    stats.errors.set(key, (stats.errors.get(key) || 0) + 1);
  };
  const t0 = Date.now();
  const deadline = t0 + durationMs;
  let seq = 0;

  async function aguiRun(n) {
    const threadId = `soak-thread-${n}`;
    const body = JSON.stringify({
      method: 'agent/run',
      params: { agentId: 'default' },
      body: { threadId, runId: randomUUID(), messages: [{ id: randomUUID(), role: 'user', content: `hello ${n}` }], tools: [], context: [] },
    });
    const r = await post(agent, port, { accept: 'text/event-stream' }, body, 60_000);
    if (r.status !== 200) throw new Error(`status ${r.status}: ${r.body.slice(0, 120)}`);
    if (!/text\/event-stream/.test(r.headers['content-type'] || '')) throw new Error(`content-type ${r.headers['content-type']}`);
    if (!r.body.includes('"TEXT_MESSAGE_CONTENT"')) throw new Error('no TEXT_MESSAGE_CONTENT');
    if (!r.body.includes('"RUN_FINISHED"')) throw new Error(`no RUN_FINISHED: ${r.body.slice(-200)}`);
  }

  async function graphqlRun(n) {
    const req = structuredClone(gqlTemplate);
    const data = req.variables.data;
    data.threadId = `soak-gql-${n}`;
    data.runId = null;
    data.messages = [
      { id: randomUUID(), createdAt: new Date().toISOString(), textMessage: { content: `hello ${n}`, role: 'user' } },
    ];
    const r = await post(agent, port, { accept: 'multipart/mixed' }, JSON.stringify(req), 60_000);
    if (r.status !== 200) throw new Error(`status ${r.status}: ${r.body.slice(0, 120)}`);
    if (!/multipart\/mixed/.test(r.headers['content-type'] || '')) throw new Error(`content-type ${r.headers['content-type']}`);
    if (!r.body.includes('"hasNext":false')) throw new Error(`no final payload: ${r.body.slice(-200)}`);
    if (!r.body.includes('"SuccessResponseStatus"')) throw new Error(`status not Success: ${r.body.slice(-300)}`);
  }

  async function worker() {
    while (Date.now() < deadline) {
      const n = seq++;
      const graphql = n % 2 === 1;
      if (mock.queue.length < concurrency * 2) mock.enqueue(MockGemini.text(['Hello', ' from', ' the', ' soak'], { delayMs }));
      try {
        await (graphql ? graphqlRun(n) : aguiRun(n));
        stats.ok++;
        graphql ? stats.graphql++ : stats.agui++;
      } catch (e) {
        fail(graphql ? 'graphql' : 'agui', e.message);
      }
      if (mock.requests.length > 1000) mock.requests.length = 0; // keep the mock's own log bounded
    }
  }

  const samples = [];
  const sample = () => {
    const kb = rssKb(child.pid);
    const s = Math.round((Date.now() - t0) / 1000);
    samples.push({ s, kb });
    console.log(`[${String(s).padStart(4)} s] server RSS ${mb(kb)}  ok ${stats.ok}  failed ${stats.failed}`);
  };
  sample();
  const timer = setInterval(sample, 10_000);
  await Promise.all(Array.from({ length: concurrency }, worker));
  clearInterval(timer);
  sample();

  const afterWarmup = samples.find((x) => x.s * 1000 >= warmupMs && x.kb != null) || samples[0];
  const last = samples[samples.length - 1];
  const growth = afterWarmup.kb && last.kb ? (last.kb - afterWarmup.kb) / afterWarmup.kb : 0;
  // Flat: less than 10 % (and 16 MB) above the first post-warm-up sample.
  const growing = growth > 0.1 && last.kb - afterWarmup.kb > 16 * 1024;
  const secs = (Date.now() - t0) / 1000;
  console.log('\nsoak summary');
  console.log(`  requests ok ${stats.ok} (agui ${stats.agui}, graphql ${stats.graphql}), failed ${stats.failed}, ${(stats.ok / secs).toFixed(1)} req/s`);
  for (const [k, v] of stats.errors) console.log(`  ${v} × ${k}`);
  console.log(`  RSS after warm-up (${afterWarmup.s} s) ${mb(afterWarmup.kb)}, last ${mb(last.kb)} (${(growth * 100).toFixed(1)} %), peak ${mb(Math.max(...samples.map((x) => x.kb || 0)))}`);
  console.log(`  verdict: ${growing ? 'GROWING' : 'flat'}`);

  agent.destroy();
  child.disconnect();
  child.kill();
  await mock.close?.();
  process.exit(stats.failed === 0 && !growing ? 0 : 1);
}

if (process.argv[2] === '--server') {
  serverMain(process.argv[3]).catch((e) => {
    console.error(e);
    process.exit(1);
  });
} else {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
