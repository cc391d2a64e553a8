// Every endpoint factory, mounted the way its framework does it, serves `info` to the real
// @copilotkit/core 1.74 client and streams a run to it: Next.js App Router (Fetch handleRequest,
// directly and behind a node:http bridge), Next.js Pages Router (body already parsed into
// req.body), Express 4 (docs snippet `app.use('/copilotkit', …)`, with and without express.json()),
// and Node HTTP (Node listener and Fetch forms). NestJS is in agui-nest.test.mjs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import {
  pkg, MockGemini, startBackend, listen, connectClient, recordEvents, waitFor, byMethod, types, runInput, parseSse, newId,
} from './support/agui-harness.mjs';

const require = createRequire(import.meta.url);
const express = require('express');

let backend;
const cleanups = [];
before(async () => {
  backend = await startBackend();
});
after(async () => {
  for (const c of cleanups.reverse()) await c();
  await backend.mock.close();
});
const opts = (endpoint, extra = {}) => ({ runtime: backend.runtime, serviceAdapter: backend.serviceAdapter, endpoint, ...extra });

async function serve(listener, options) {
  const srv = await listen(listener, options);
  cleanups.push(() => srv.close());
  return srv;
}

/**
 * The real client against `url`: it must detect the single route, get `info`, and receive a paced
 * answer as separate deltas. Returns what the server log saw for the run.
 */
async function clientRoundTrip(url, srv, label) {
  const { core, agent, errors } = await connectClient(url);
  assert.equal(core.runtimeTransport, 'single', `${label}: transport`);
  assert.deepEqual(Object.keys(core.agents), ['default'], `${label}: agents from info`);
  const deltas = [`${label}:`, ' streamed', ' in', ' pieces.'];
  backend.mock.enqueue(MockGemini.text(deltas, { delayMs: 25 }));
  const seen = [];
  agent.subscribe({ onTextMessageContentEvent: ({ event }) => seen.push({ delta: event.delta, at: performance.now() }) });
  agent.addMessage({ id: newId(), role: 'user', content: `hello ${label}` });
  await core.runAgent({ agent });
  assert.deepEqual(seen.map((s) => s.delta), deltas, `${label}: one event per delta`);
  assert.ok(seen.at(-1).at - seen[0].at >= 40, `${label}: deltas arrived over time, not in one lump`);
  assert.equal(agent.messages.at(-1).content, deltas.join(''));
  assert.deepEqual(errors, [], `${label}: no client errors`);
  if (srv) {
    const run = srv.requests.filter(byMethod('agent/run')).at(-1);
    assert.ok(run, `${label}: the run went through this server`);
    assert.equal(run.status, 200);
  }
  return { core, agent };
}

/** Minimal node:http → Fetch bridge, as Next.js does for App Router route handlers. */
function fetchBridge(handleRequest, { origin }) {
  return (req, res) => {
    const ac = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) ac.abort();
    });
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      const headers = new Headers();
      for (const [k, v] of Object.entries(req.headers)) {
        if (!['connection', 'keep-alive', 'transfer-encoding', 'content-length'].includes(k)) headers.set(k, Array.isArray(v) ? v.join(', ') : v);
      }
      const hasBody = !['GET', 'HEAD'].includes(req.method);
      const request = new Request(`${origin()}${req.url}`, { method: req.method, headers, body: hasBody ? Buffer.concat(chunks) : undefined, signal: ac.signal });
      const response = await handleRequest(request);
      res.writeHead(response.status, [...response.headers].flat());
      if (!response.body) return res.end();
      const reader = response.body.getReader();
      res.on('close', () => reader.cancel().catch(() => {}));
      for (;;) {
        let r;
        try {
          r = await reader.read();
        } catch {
          break;
        }
        if (r.done || res.destroyed) break;
        res.write(r.value);
      }
      res.end();
    });
  };
}

// ---------------------------------------------------------------------------------------------
// Next.js App Router

test('App Router: handleRequest(Request) serves info and streams a run (called directly)', async () => {
  const { handleRequest, GET, POST, OPTIONS } = pkg.copilotRuntimeNextJSAppRouterEndpoint(opts('/api/copilotkit'));
  assert.equal(typeof GET, 'function');
  assert.equal(typeof POST, 'function');
  assert.equal(typeof OPTIONS, 'function');
  const info = await handleRequest(new Request('http://localhost/api/copilotkit', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"method":"info"}' }));
  assert.equal(info.status, 200);
  assert.equal(info.headers.get('access-control-allow-origin'), '*');
  assert.deepEqual(Object.keys((await info.json()).agents), ['default']);
  const probe = await GET(new Request('http://localhost/api/copilotkit/info'));
  assert.equal(probe.status, 405);
  assert.equal(probe.headers.get('allow'), 'POST');

  backend.mock.enqueue(MockGemini.text(['Direct', ' fetch', ' stream.'], { delayMs: 30 }));
  const threadId = newId();
  const res = await POST(new Request('http://localhost/api/copilotkit', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
    body: JSON.stringify({ method: 'agent/run', params: { agentId: 'default' }, body: runInput({ threadId }) }),
  }));
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'text/event-stream');
  const arrivals = [];
  let text = '';
  const dec = new TextDecoder();
  for await (const chunk of res.body) {
    text += dec.decode(chunk, { stream: true });
    arrivals.push(performance.now());
  }
  const events = parseSse(text);
  assert.deepEqual(types(events), ['RUN_STARTED', 'TEXT_MESSAGE_START', 'TEXT_MESSAGE_CONTENT', 'TEXT_MESSAGE_CONTENT', 'TEXT_MESSAGE_CONTENT', 'TEXT_MESSAGE_END', 'RUN_FINISHED']);
  assert.ok(arrivals.length >= 3 && arrivals.at(-1) - arrivals[0] >= 40, 'the Response body is streamed, not buffered');
});

test('App Router: the real client through a node:http → Fetch bridge', async () => {
  const { handleRequest } = pkg.copilotRuntimeNextJSAppRouterEndpoint(opts('/api/copilotkit'));
  let origin = '';
  const srv = await serve(fetchBridge(handleRequest, { origin: () => origin }));
  origin = srv.origin;
  await clientRoundTrip(`${srv.origin}/api/copilotkit`, srv, 'app-router');
  assert.deepEqual(srv.requests.slice(0, 2).map((r) => [r.method, r.url, r.status]), [
    ['GET', '/api/copilotkit/info', 405],
    ['POST', '/api/copilotkit', 200],
  ]);
});

test('App Router: an aborted request.signal cancels the upstream call within 50 ms', async () => {
  const { handleRequest } = pkg.copilotRuntimeNextJSAppRouterEndpoint(opts('/api/copilotkit'));
  backend.mock.enqueue(MockGemini.text(['Never', ' ends'], { holdOpen: true, finishReason: null }));
  const upstreamIndex = backend.mock.requests.length;
  const ac = new AbortController();
  const res = await handleRequest(new Request('http://localhost/api/copilotkit', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ method: 'agent/run', params: { agentId: 'default' }, body: runInput() }),
    signal: ac.signal,
  }));
  const reader = res.body.getReader();
  let text = '';
  while (!text.includes('" ends"')) text += new TextDecoder().decode((await reader.read()).value);
  const upstream = backend.mock.requests[upstreamIndex];
  const abortedAt = performance.now();
  ac.abort();
  const closedAt = await backend.mock.waitForClientClose(upstream, 2000);
  assert.ok(closedAt - abortedAt < 50, `upstream closed ${(closedAt - abortedAt).toFixed(1)} ms after the abort`);
  reader.cancel().catch(() => {});
});

// ---------------------------------------------------------------------------------------------
// Next.js Pages Router: Next's default body parser has already read the body into req.body.

function pagesRouterHost(handler) {
  return (req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const ct = req.headers['content-type'] || '';
      req.body = ct.includes('application/json') ? (raw ? JSON.parse(raw) : {}) : raw;
      req.query = Object.fromEntries(new URL(req.url, 'http://x').searchParams);
      handler(req, res);
    });
  };
}

test('Pages Router: body pre-parsed into req.body (Next default) — info and a streamed run from the real client', async () => {
  const handler = pkg.copilotRuntimeNextJSPagesRouterEndpoint(opts('/api/copilotkit'));
  const srv = await serve(pagesRouterHost(handler));
  await clientRoundTrip(`${srv.origin}/api/copilotkit`, srv, 'pages-router');
});

test('Pages Router: with bodyParser disabled (the stream is left for the handler)', async () => {
  const handler = pkg.copilotRuntimeNextJSPagesRouterEndpoint(opts('/api/copilotkit'));
  const srv = await serve((req, res) => handler(req, res));
  await clientRoundTrip(`${srv.origin}/api/copilotkit`, srv, 'pages-router-raw');
});

// ---------------------------------------------------------------------------------------------
// Express 4

test('Express 4, docs snippet: app.use("/copilotkit", …) with a runtime per request, no body parser', async () => {
  const app = express();
  app.use('/copilotkit', (req, res, next) => {
    const runtime = new pkg.CopilotRuntime();
    const handler = pkg.copilotRuntimeNodeExpressEndpoint({ endpoint: '/copilotkit', runtime, serviceAdapter: backend.serviceAdapter });
    return handler(req, res, next);
  });
  const srv = await serve(app);
  const { agent } = await clientRoundTrip(`${srv.origin}/copilotkit`, srv, 'express');
  // The process-wide thread store lets a later request (new runtime object) replay the thread.
  const b = await connectClient(`${srv.origin}/copilotkit`);
  b.agent.threadId = agent.threadId;
  await b.core.connectAgent({ agent: b.agent });
  assert.equal(b.agent.messages.at(-1).content, agent.messages.at(-1).content);
});

test('Express 4 with express.json() mounted before the handler (body already parsed)', async () => {
  const app = express();
  app.use(express.json());
  app.use('/copilotkit', pkg.copilotRuntimeNodeExpressEndpoint(opts('/copilotkit')));
  const srv = await serve(app);
  await clientRoundTrip(`${srv.origin}/copilotkit`, srv, 'express-json');
});

test('Express 4 with express.json() on the route only, and an app-level router prefix', async () => {
  const app = express();
  const router = express.Router();
  router.post('/copilotkit', express.json(), pkg.copilotRuntimeNodeExpressEndpoint(opts('/api/copilotkit')));
  router.all('/copilotkit/*', pkg.copilotRuntimeNodeExpressEndpoint(opts('/api/copilotkit')));
  app.use('/api', router);
  const srv = await serve(app);
  await clientRoundTrip(`${srv.origin}/api/copilotkit`, srv, 'express-router');
  const probe = srv.requests.find((r) => r.method === 'GET');
  assert.equal(probe.status, 405, 'GET {url}/info still answers 405 through the router');
});

// ---------------------------------------------------------------------------------------------
// Node HTTP

test('Node HTTP: (req, res) listener and the one-argument Fetch form', async () => {
  const handler = pkg.copilotRuntimeNodeHttpEndpoint(opts('/api/copilotkit'));
  const srv = await serve(handler);
  await clientRoundTrip(`${srv.origin}/api/copilotkit`, srv, 'node-http');

  const res = await handler(new Request('http://localhost/api/copilotkit', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"method":"info"}' }));
  assert.ok(res instanceof Response);
  assert.equal(res.status, 200);
  assert.deepEqual(Object.keys((await res.json()).agents), ['default']);
});
