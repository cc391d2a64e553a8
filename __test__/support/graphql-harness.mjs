// Shared plumbing for the GraphQL-protocol end-to-end tests (`__test__/graphql-*.test.mjs`): our
// runtime served by `copilotRuntimeNodeHttpEndpoint` on 127.0.0.1 in front of the scripted mock
// Gemini, driven by the real `@copilotkit/runtime-client-gql@1.10.6` client the way react-core
// 1.10.6 drives it (request shape of use-chat.ts, message conversion helpers of the client package,
// frontend-action execution and the client-driven follow-up request).
import http from 'node:http';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
export const pkg = require('../../index.js');
export const { MockGemini } = require('./mock-gemini.js');
export const gql = require('@copilotkit/runtime-client-gql');
const shared = require('@copilotkit/shared');

export const { CopilotRuntimeClient, TextMessage, ActionExecutionMessage, ResultMessage, Role } = gql;

export const CLIENT_VERSION = '1.10.6';
/** The `accept` header urql 5.2.0 sends for every operation (spec §1.3). */
export const CLIENT_ACCEPT = 'application/graphql-response+json, application/graphql+json, application/json, text/event-stream, multipart/mixed';
/** The headers of a request the 1.10.6 client sends, for hand-written requests. */
export const CLIENT_HEADERS = {
  accept: CLIENT_ACCEPT,
  'content-type': 'application/json',
  'x-copilotkit-runtime-client-gql-version': CLIENT_VERSION,
};

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * mock Gemini (no demo fallback: an unscripted call is a test bug and answers 500) → runtime →
 * `copilotRuntimeNodeHttpEndpoint` on a node:http server. `url` is the client's runtime URL;
 * `serverRequests` logs every request the HTTP server received (`{method, url, headers, closedAt}`).
 */
export async function startGraphqlStack({ endpoint = '/api/copilotkit', runtimeOptions, adapterOptions, endpointOptions } = {}) {
  const mock = await MockGemini.start({ demo: false });
  const runtime = new pkg.CopilotRuntime(runtimeOptions);
  const serviceAdapter = new pkg.GoogleGenerativeAIAdapter({ apiKey: 'test-key', baseUrl: mock.url, ...adapterOptions });
  const handler = pkg.copilotRuntimeNodeHttpEndpoint({ runtime, serviceAdapter, endpoint, ...endpointOptions });
  const serverRequests = [];
  const sockets = new Set();
  const server = http.createServer((req, res) => {
    const rec = { method: req.method, url: req.url, headers: req.headers, receivedAt: performance.now(), closedAt: null };
    serverRequests.push(rec);
    res.on('close', () => {
      rec.closedAt = performance.now();
      rec.status = res.statusCode;
    });
    handler(req, res);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${server.address().port}`;
  return {
    mock,
    runtime,
    serviceAdapter,
    handler,
    server,
    origin,
    url: `${origin}${endpoint}`,
    serverRequests,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(() => resolve()));
      await mock.close();
    },
  };
}

/** The real client, with every `handleGQLErrors` / `handleGQLWarning` call recorded. */
export function makeClient(url, options = {}) {
  const gqlErrors = [];
  const warnings = [];
  const client = new CopilotRuntimeClient({
    url,
    handleGQLErrors: (e) => gqlErrors.push(e),
    handleGQLWarning: (w) => warnings.push(w),
    ...options,
  });
  return { client, gqlErrors, warnings };
}

/** A frontend action as react-core declares it (`useCopilotAction` → `ActionInput`). */
export function frontendAction({ name, description = '', parameters = [] }) {
  return { name, description, jsonSchema: JSON.stringify(shared.actionParametersToJsonSchema(parameters)), available: 'enabled' };
}

/**
 * `GenerateCopilotResponseInput` built like react-core 1.10.6 `use-chat.ts`: a fresh system message
 * first, then the history (agent-state messages filtered out) converted with the client's own
 * `convertMessagesToGqlInput`.
 */
export function chatInput({ messages, actions = [], threadId = 'thread-gql', runId = null, url = 'http://localhost:3000/', extra = {} }) {
  const system = new TextMessage({ id: `ck-${crypto.randomUUID()}`, role: Role.System, content: 'You are a helpful assistant.' });
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

export const userMessage = (content, id = `ck-${crypto.randomUUID()}`) => new TextMessage({ id, role: Role.User, content });

/**
 * Run one `generateCopilotResponse` through `client.asStream` (as react-core does) and record every
 * read: `{ reads: [{at, value}], final, messages, error }` where `value`/`final` is the
 * `generateCopilotResponse` object (deep-copied) and `messages` is what react-core makes of the
 * final output (`convertGqlOutputToMessages(filterAdjacentAgentStateMessages(…))`).
 */
export async function runGenerate(client, data, { properties = {}, signal, onRead } = {}) {
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
  const out = [...history];
  let ran = false;
  for (const m of newMessages) {
    out.push(m);
    if (m.isActionExecutionMessage() && m.status?.code !== 'Pending' && handlers[m.name]) {
      const result = await handlers[m.name](m.arguments);
      out.push(new ResultMessage({ id: `result-${m.id}`, result: ResultMessage.encodeResult(result), actionExecutionId: m.id, actionName: m.name }));
      ran = true;
    }
  }
  return ran ? out : null;
}

/** A raw node:http POST (exact status, headers and body), `{ status, headers, body, json }`. */
export function rawPost(url, body, { headers = CLIENT_HEADERS, method = 'POST' } = {}) {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
    const h = { connection: 'close', ...headers };
    if (payload) h['content-length'] = payload.length;
    const req = http.request(url, { method, headers: h }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode, headers: res.headers, body: text, json });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    if (payload) req.write(payload);
    req.end();
  });
}

/**
 * The operation documents byte for byte as the 1.10.6 client sends them (urql adds `__typename`
 * to every selection set and prints the result): `generateCopilotResponse`, `availableAgents`,
 * `loadAgentState`.
 */
export function clientQuery(operation) {
  const urql = require('@urql/core');
  const doc = { generateCopilotResponse: gql.GenerateCopilotResponseDocument, availableAgents: gql.AvailableAgentsDocument, loadAgentState: gql.LoadAgentStateDocument }[operation];
  return urql.stringifyDocument(urql.formatDocument(doc));
}

/** Split a `multipart/mixed; boundary="-"` body into its JSON parts. */
export function parseMultipart(body) {
  return body
    .split('\r\n---')
    .map((p) => p.split('\r\n\r\n').slice(1).join('\r\n\r\n').trim())
    .filter((p) => p.startsWith('{'))
    .map((p) => JSON.parse(p));
}
