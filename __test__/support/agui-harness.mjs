// Shared plumbing for the AG-UI end-to-end tests (`__test__/agui-*.test.mjs`): our runtime served
// over 127.0.0.1 in front of the scripted mock Gemini, the real `@copilotkit/core` 1.74 client,
// a server-side log of every request (with the envelope and arrival times), and small SSE/raw
// request helpers for the few tests that must hand-write requests.
import http from 'node:http';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
export const pkg = require('../../index.js');
export const { MockGemini } = require('./mock-gemini.js');

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Poll `fn` until it returns a truthy value (returned), or fail after `timeoutMs`. */
export async function waitFor(fn, { timeoutMs = 5000, interval = 5, what = 'condition' } = {}) {
  const until = performance.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (performance.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(interval);
  }
}

let CoreClass = null;
/** The real client. It only connects when it believes it runs in a browser. */
export async function loadCore() {
  if (!CoreClass) {
    if (typeof globalThis.window === 'undefined') globalThis.window = globalThis;
    ({ CopilotKitCore: CoreClass } = await import('@copilotkit/core'));
  }
  return CoreClass;
}

/** A fresh mock Gemini (no demo fallback: an unscripted request is a test bug → 500) and runtime. */
export async function startBackend({ runtimeOptions, adapterOptions } = {}) {
  const mock = await MockGemini.start({ demo: false });
  const runtime = new pkg.CopilotRuntime(runtimeOptions);
  const serviceAdapter = new pkg.GoogleGenerativeAIAdapter({ apiKey: 'test-key', baseUrl: mock.url, ...adapterOptions });
  return { mock, runtime, serviceAdapter };
}

/**
 * Listen on 127.0.0.1:0 with `listener(req, res)` and log each request:
 * `{ method, url, headers, receivedAt, body, bodyAt, envelope, closedAt, status }`.
 * The body is observed with a passive `data` listener attached in the same tick as the handler
 * runs, so the handler still reads the stream itself (`observeBody: false` turns it off).
 */
export async function listen(listener, { observeBody = true } = {}) {
  const requests = [];
  const waiters = [];
  const notify = () => {
    for (const w of [...waiters]) {
      const hit = requests.find(w.match);
      if (hit) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(hit);
      }
    }
  };
  const sockets = new Set();
  const server = http.createServer((req, res) => {
    const rec = { method: req.method, url: req.url, headers: req.headers, receivedAt: performance.now(), body: null, bodyAt: null, envelope: null, closedAt: null };
    requests.push(rec);
    res.on('close', () => {
      rec.closedAt = performance.now();
      rec.status = res.statusCode;
    });
    if (observeBody) {
      const chunks = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        rec.bodyAt = performance.now();
        rec.body = Buffer.concat(chunks).toString('utf8');
        try {
          rec.envelope = JSON.parse(rec.body);
        } catch {
          /* not JSON */
        }
        notify();
      });
    }
    notify();
    listener(req, res);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${server.address().port}`;
  return {
    server,
    origin,
    requests,
    /** Resolves with the first logged request matching `match` (e.g. by envelope method). */
    waitForRequest(match, timeoutMs = 5000) {
      const hit = requests.find(match);
      if (hit) return Promise.resolve(hit);
      return new Promise((resolve, reject) => {
        const w = { match, resolve: (r) => { clearTimeout(t); resolve(r); } };
        const t = setTimeout(() => {
          waiters.splice(waiters.indexOf(w), 1);
          reject(new Error(`no matching request reached the server within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.push(w);
      });
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** Match a logged request by its envelope method (`info`, `agent/run`, `agent/stop`, …). */
export const byMethod = (m) => (r) => r.envelope && r.envelope.method === m && r.bodyAt !== null;

/**
 * The usual stack: mock Gemini → runtime → `copilotRuntimeNodeHttpEndpoint` on a node:http
 * server at `endpoint`. `url` is the runtime URL a client is given.
 */
export async function startNodeHttpStack({ endpoint = '/api/copilotkit', runtimeOptions, adapterOptions, endpointOptions } = {}) {
  const backend = await startBackend({ runtimeOptions, adapterOptions });
  const handler = pkg.copilotRuntimeNodeHttpEndpoint({ runtime: backend.runtime, serviceAdapter: backend.serviceAdapter, endpoint, ...endpointOptions });
  const srv = await listen((req, res) => handler(req, res));
  return {
    ...backend,
    ...srv,
    handler,
    url: `${srv.origin}${endpoint}`,
    async close() {
      await srv.close();
      await backend.mock.close();
    },
  };
}

/**
 * A connected `CopilotKitCore` for `url` (auto transport unless given) and its `default` agent.
 * `errors` collects every `onError` the client emits.
 */
export async function connectClient(url, config = {}) {
  const CopilotKitCore = await loadCore();
  const core = new CopilotKitCore({ runtimeUrl: url, ...config });
  const errors = [];
  core.subscribe({ onError: (e) => errors.push(e) });
  await waitFor(() => core.runtimeConnectionStatus === 'connected' && core.getAgent('default'), {
    what: `the client to connect to ${url} (status ${core.runtimeConnectionStatus})`,
  });
  return { core, agent: core.getAgent('default'), errors };
}

/** Record every AG-UI event the agent sees, with the time it was observed. */
export function recordEvents(agent) {
  const events = [];
  const sub = agent.subscribe({
    onEvent: ({ event }) => {
      events.push({ ...event, observedAt: performance.now() });
    },
  });
  events.unsubscribe = () => sub.unsubscribe();
  return events;
}

export const newId = () => crypto.randomUUID();

/** A minimal valid RunAgentInput. */
export function runInput({ threadId = newId(), runId = newId(), messages, tools = [], context = [] } = {}) {
  return {
    threadId,
    runId,
    tools,
    context,
    forwardedProps: {},
    state: {},
    messages: messages ?? [{ id: newId(), role: 'user', content: 'hi' }],
  };
}

/** POST an envelope with fetch (raw; only for tests that must hand-write requests). */
export function postEnvelope(url, envelope, { headers = {}, signal } = {}) {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...headers },
    body: typeof envelope === 'string' ? envelope : JSON.stringify(envelope),
    signal,
  });
}

/** Parse an SSE body (`data: <json>\n\n` frames) into events. */
export function parseSse(text) {
  return text
    .split('\n\n')
    .filter((f) => f.trim() && !f.startsWith(':'))
    .map((f) => JSON.parse(f.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5).replace(/^ /, '')).join('\n')));
}

/**
 * A raw node:http request (for exact statuses/headers, custom methods and socket-level control).
 * Resolves with `{ status, headers, body }` once the response ended.
 */
export function rawRequest(url, { method = 'POST', headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers: { connection: 'close', ...headers } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

/** Event types in order, for compact assertions. */
export const types = (events) => events.map((e) => e.type);
