// The plumbing every end-to-end suite shares (used by agui-harness.mjs, graphql-harness.mjs and
// callbacks-harness.mjs): the addon, the scripted mock Gemini, our runtime behind
// `copilotRuntimeNodeHttpEndpoint` on 127.0.0.1:0 with a request log, the real AG-UI client
// (`@copilotkit/core` 1.74), and the GraphQL request builders and response reader of the real
// `@copilotkit/runtime-client-gql` 1.10.6 client driven the way react-core 1.10.6 drives it.
// Every response a `listen()` server sends is scanned for the API key, the repo path and stack
// frames: a leak fails the test file (see `findLeaks`).
import assert from 'node:assert/strict';
import http from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

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

/** Event types in order, for compact assertions. */
export const types = (events) => events.map((e) => e.type);

// ---------------------------------------------------------------------------------------------
// Leak scanner: no response may carry the API key, a server path or a stack trace

/** The adapter API key every stack is configured with: distinctive, so any echo of it is found. */
export const TEST_API_KEY = 'AIza-crrs-test-secret-7f3c9d';
/** The absolute path of the repository (no trailing separator): a server path a client must never see. */
export const REPO_ROOT = path.resolve(fileURLToPath(new URL('../../', import.meta.url)));

/**
 * A V8 stack frame, raw or inside a JSON string (`\n` escaped): `\n    at fn (/x.js:1:2)`,
 * `\n    at /x.js:1:2`, `\n    at async file:///x.mjs:1:2`, or any `node:internal` location.
 */
const STACK_FRAME = /(?:\n|\\n)[ \t]+at (?:.+?\(.*?:\d+:\d+\)|(?:async )?(?:file:\/\/|node:|\/)\S*:\d+:\d+)|node:internal/;

/**
 * Every leak in `text`: `[{ what, snippet }]` for each secret (the strings in `secrets`), the repo
 * path and a stack-trace frame. The snippet is the match with some context, for the report.
 */
export function findLeaks(text, { secrets = [TEST_API_KEY] } = {}) {
  const found = [];
  const around = (i, len) => JSON.stringify(text.slice(Math.max(0, i - 60), i + len + 60));
  for (const s of secrets) {
    const i = text.indexOf(s);
    if (i >= 0) found.push({ what: `the API key ${JSON.stringify(s)}`, snippet: around(i, s.length) });
  }
  const p = text.indexOf(REPO_ROOT);
  if (p >= 0) found.push({ what: `the repo path ${JSON.stringify(REPO_ROOT)}`, snippet: around(p, REPO_ROOT.length) });
  const m = STACK_FRAME.exec(text);
  if (m) found.push({ what: 'a stack-trace frame', snippet: around(m.index, m[0].length) });
  return found;
}

/** Leaks found by every `listen()` server of this test file that no `close()` has reported yet. */
const unreportedLeaks = [];

function leakReport(leaks) {
  return leaks.map((l) => `  ${l.method} ${l.url} → ${l.status}: ${l.what} in the response ${l.where}: ${l.snippet}`).join('\n');
}

function failOnLeaks(leaks, who) {
  if (leaks.length === 0) return;
  throw new assert.AssertionError({
    message: `${who}: ${leaks.length} response(s) leaked a secret, server path or stack trace:\n${leakReport(leaks)}`,
    actual: leaks,
    expected: [],
    operator: 'noLeaks',
  });
}

// A safety net for a server that is never closed (or a process that is no test file, such as
// callbacks-child.mjs): what is left is reported on exit, and the exit code makes the file fail.
process.on('exit', () => {
  if (unreportedLeaks.length === 0) return;
  process.stderr.write(`leak scanner (servers not closed): ${unreportedLeaks.length} response(s) leaked a secret, server path or stack trace:\n${leakReport(unreportedLeaks)}\n`);
  process.exitCode = 1;
});

/**
 * Record every byte `res` writes (headers and body) without changing what it does; `check()` scans
 * what was written so far once (later calls are no-ops) and returns the leaks found.
 */
function recordResponse(req, res, secrets) {
  const body = [];
  const keep = (chunk, encoding) => {
    if (chunk == null || typeof chunk === 'function') return;
    if (typeof chunk === 'string') body.push(Buffer.from(chunk, typeof encoding === 'string' ? encoding : 'utf8'));
    else if (chunk instanceof Uint8Array) body.push(Buffer.from(chunk)); // a copy: the caller may reuse it
  };
  const { write, end } = res;
  res.write = function (chunk, encoding, cb) {
    keep(chunk, encoding);
    return write.call(this, chunk, encoding, cb);
  };
  res.end = function (chunk, encoding, cb) {
    keep(chunk, encoding);
    return end.call(this, chunk, encoding, cb);
  };
  let checked = false;
  return function check() {
    if (checked) return [];
    checked = true;
    // `_header` is the exact head node:http put on the wire (status line and every header).
    const head = typeof res._header === 'string' ? res._header : JSON.stringify(res.getHeaders());
    const base = { method: req.method, url: req.url, status: res.statusCode };
    return [
      ...findLeaks(head, { secrets }).map((l) => ({ ...base, where: 'head', ...l })),
      ...findLeaks(Buffer.concat(body).toString('utf8'), { secrets }).map((l) => ({ ...base, where: 'body', ...l })),
    ];
  };
}

// ---------------------------------------------------------------------------------------------
// Server side: mock Gemini → runtime → node:http endpoint

/** A fresh mock Gemini (no demo fallback: an unscripted request is a test bug → 500) and runtime. */
export async function startBackend({ runtimeOptions, adapterOptions } = {}) {
  const mock = await MockGemini.start({ demo: false });
  const runtime = new pkg.CopilotRuntime(runtimeOptions);
  const serviceAdapter = new pkg.GoogleGenerativeAIAdapter({ apiKey: TEST_API_KEY, baseUrl: mock.url, ...adapterOptions });
  return { mock, runtime, serviceAdapter };
}

/**
 * Listen on 127.0.0.1:0 with `listener(req, res)` and log each request:
 * `{ method, url, headers, receivedAt, body, bodyAt, envelope, closedAt, status }`.
 * The body is observed with a passive `data` listener attached in the same tick as the handler
 * runs, so the handler still reads the stream itself (`observeBody: false` turns it off).
 *
 * Every response is recorded (headers and body) and scanned when it closes for `TEST_API_KEY`,
 * the other `secrets`, the repo path and stack-trace frames; `close()` throws an AssertionError
 * naming each leaking response (`leaks` lists them as they are found).
 */
export async function listen(listener, { observeBody = true, secrets = [] } = {}) {
  const scanFor = [...new Set([TEST_API_KEY, ...secrets.filter(Boolean)])];
  const leaks = [];
  const pending = new Set();
  const scan = (check) => {
    pending.delete(check);
    for (const l of check()) {
      leaks.push(l);
      unreportedLeaks.push(l);
    }
  };
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
    const check = recordResponse(req, res, scanFor);
    pending.add(check);
    res.on('close', () => {
      rec.closedAt = performance.now();
      rec.status = res.statusCode;
      scan(check);
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
    leaks,
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
    /** Stops the server, then fails if any response leaked (see `findLeaks`). */
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(() => resolve()));
      await new Promise((resolve) => setImmediate(resolve));
      for (const check of [...pending]) scan(check);
      const mine = new Set(leaks);
      for (let i = unreportedLeaks.length - 1; i >= 0; i--) if (mine.has(unreportedLeaks[i])) unreportedLeaks.splice(i, 1);
      failOnLeaks(leaks, `leak scanner (${origin})`);
    },
  };
}

/**
 * The usual stack: mock Gemini → runtime → `copilotRuntimeNodeHttpEndpoint` on a node:http
 * server at `endpoint`. `url` is the runtime URL a client is given; `requests` is the server's
 * request log (see `listen`, and its `observeBody`).
 */
export async function startNodeHttpStack({ endpoint = '/api/copilotkit', runtimeOptions, adapterOptions, endpointOptions, observeBody } = {}) {
  const backend = await startBackend({ runtimeOptions, adapterOptions });
  const handler = pkg.copilotRuntimeNodeHttpEndpoint({ runtime: backend.runtime, serviceAdapter: backend.serviceAdapter, endpoint, ...endpointOptions });
  const srv = await listen((req, res) => handler(req, res), { observeBody, secrets: [adapterOptions?.apiKey] });
  return {
    ...backend,
    ...srv,
    handler,
    url: `${srv.origin}${endpoint}`,
    async close() {
      try {
        await srv.close();
      } finally {
        await backend.mock.close();
      }
    },
  };
}

// ---------------------------------------------------------------------------------------------
// AG-UI: the real @copilotkit/core 1.74 client

let CoreClass = null;
/** The real client. It only connects when it believes it runs in a browser. */
export async function loadCore() {
  if (!CoreClass) {
    if (typeof globalThis.window === 'undefined') globalThis.window = globalThis;
    ({ CopilotKitCore: CoreClass } = await import('@copilotkit/core'));
  }
  return CoreClass;
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

// ---------------------------------------------------------------------------------------------
// GraphQL: the real @copilotkit/runtime-client-gql 1.10.6 client, driven like react-core 1.10.6

// Loaded on first use, so the AG-UI suites never load the GraphQL client packages.
let gqlPkg = null;
/** `@copilotkit/runtime-client-gql`. */
export const loadGql = () => (gqlPkg ??= require('@copilotkit/runtime-client-gql'));

/** The real client, with every `handleGQLErrors` / `handleGQLWarning` call recorded. */
export function makeClient(url, options = {}) {
  const gql = loadGql();
  const gqlErrors = [];
  const warnings = [];
  const client = new gql.CopilotRuntimeClient({
    url,
    handleGQLErrors: (e) => gqlErrors.push(e),
    handleGQLWarning: (w) => warnings.push(w),
    ...options,
  });
  return { client, gqlErrors, warnings };
}

/** A frontend action as react-core declares it (`useCopilotAction` → `ActionInput`). */
export function frontendAction({ name, description = '', parameters = [] }) {
  const shared = require('@copilotkit/shared');
  return { name, description, jsonSchema: JSON.stringify(shared.actionParametersToJsonSchema(parameters)), available: 'enabled' };
}

export function userMessage(content, id = `ck-${crypto.randomUUID()}`) {
  const gql = loadGql();
  return new gql.TextMessage({ id, role: gql.Role.User, content });
}

/**
 * `GenerateCopilotResponseInput` built like react-core 1.10.6 `use-chat.ts`: a fresh system message
 * first, then the history (agent-state messages filtered out) converted with the client's own
 * `convertMessagesToGqlInput`.
 */
export function chatInput({ messages, actions = [], threadId = 'thread-gql', runId = null, url = 'http://localhost:3000/', extra = {} }) {
  const gql = loadGql();
  const system = new gql.TextMessage({ id: `ck-${crypto.randomUUID()}`, role: gql.Role.System, content: 'You are a helpful assistant.' });
  return {
    frontend: { actions, url },
    threadId,
    runId,
    extensions: {},
    metaEvents: [],
    messages: gql.convertMessagesToGqlInput(gql.filterAgentStateMessages([system, ...messages])),
    metadata: { requestType: 'Chat' },
    agentStates: [],
    forwardedParameters: {},
    context: [],
    ...extra,
  };
}

/**
 * Run one `generateCopilotResponse` through `client.asStream` (as react-core does) and record every
 * read: `{ reads: [{at, value}], final, messages, error }` where `value`/`final` is the
 * `generateCopilotResponse` object (deep-copied) and `messages` is what react-core makes of the
 * final output (`convertGqlOutputToMessages(filterAdjacentAgentStateMessages(…))`).
 */
export async function runGenerate(client, data, { properties = {}, signal, onRead } = {}) {
  const gql = loadGql();
  const startedAt = performance.now();
  const reads = [];
  let error = null;
  const reader = client.asStream(client.generateCopilotResponse({ data, properties, signal })).getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      const v = structuredClone(value?.generateCopilotResponse ?? null);
      reads.push({ at: performance.now(), value: v });
      if (onRead) await onRead(v, reads.length - 1);
    }
  } catch (e) {
    error = e;
  }
  const final = reads.length ? reads[reads.length - 1].value : null;
  const messages = final?.messages ? gql.convertGqlOutputToMessages(gql.filterAdjacentAgentStateMessages(final.messages)) : [];
  return { startedAt, reads, final, messages, error };
}

/**
 * react-core's frontend-action step: run the handler of every finished (non-Pending) action message
 * that names a frontend action and append `ResultMessage { id: "result-" + id }` after it.
 * Returns the new history (or `null` when nothing ran, i.e. no follow-up is due).
 */
export async function executeFrontendActions(history, newMessages, handlers) {
  const gql = loadGql();
  const out = [...history];
  let ran = false;
  for (const m of newMessages) {
    out.push(m);
    if (m.isActionExecutionMessage() && m.status?.code !== 'Pending' && handlers[m.name]) {
      const result = await handlers[m.name](m.arguments);
      out.push(new gql.ResultMessage({ id: `result-${m.id}`, result: gql.ResultMessage.encodeResult(result), actionExecutionId: m.id, actionName: m.name }));
      ran = true;
    }
  }
  return ran ? out : null;
}

export const SUCCESS = { code: 'Success', __typename: 'SuccessResponseStatus' };
export const MSG_SUCCESS = { code: 'Success', __typename: 'SuccessMessageStatus' };

// ---------------------------------------------------------------------------------------------
// Wire formats

/** Parse an SSE body (`data: <json>\n\n` frames) into events. */
export function parseSse(text) {
  return text
    .split('\n\n')
    .filter((f) => f.trim() && !f.startsWith(':'))
    .map((f) => JSON.parse(f.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5).replace(/^ /, '')).join('\n')));
}

/** Split a `multipart/mixed; boundary="-"` body into its JSON parts. */
export function parseMultipart(body) {
  return body
    .split('\r\n---')
    .map((p) => p.split('\r\n\r\n').slice(1).join('\r\n\r\n').trim())
    .filter((p) => p.startsWith('{'))
    .map((p) => JSON.parse(p));
}
