// The plumbing every end-to-end suite shares (used by agui-harness.mjs, graphql-harness.mjs and
// callbacks-harness.mjs): the addon, the scripted mock Gemini, our runtime behind
// `copilotRuntimeNodeHttpEndpoint` on 127.0.0.1:0 with a request log, the real AG-UI client
// (`@copilotkit/core` 1.74), and the GraphQL request builders and response reader of the real
// `@copilotkit/runtime-client-gql` 1.10.6 client driven the way react-core 1.10.6 drives it.
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

/** Event types in order, for compact assertions. */
export const types = (events) => events.map((e) => e.type);

// ---------------------------------------------------------------------------------------------
// Server side: mock Gemini → runtime → node:http endpoint

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

/**
 * The usual stack: mock Gemini → runtime → `copilotRuntimeNodeHttpEndpoint` on a node:http
 * server at `endpoint`. `url` is the runtime URL a client is given; `requests` is the server's
 * request log (see `listen`, and its `observeBody`).
 */
export async function startNodeHttpStack({ endpoint = '/api/copilotkit', runtimeOptions, adapterOptions, endpointOptions, observeBody } = {}) {
  const backend = await startBackend({ runtimeOptions, adapterOptions });
  const handler = pkg.copilotRuntimeNodeHttpEndpoint({ runtime: backend.runtime, serviceAdapter: backend.serviceAdapter, endpoint, ...endpointOptions });
  const srv = await listen((req, res) => handler(req, res), { observeBody });
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
