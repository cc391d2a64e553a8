// Plumbing for the callback suites (`__test__/callbacks-*.test.mjs`): the user's JavaScript
// callbacks (`actions`, `middleware`, `onError`, `onStopGeneration`, request `properties`) seen
// through BOTH protocols with the real client packages. One `copilotRuntimeNodeHttpEndpoint`
// serves both: the AG-UI client (`@copilotkit/core` 1.74) and the GraphQL client
// (`@copilotkit/runtime-client-gql` 1.10.6, driven the way react-core 1.10.6 drives it).
//
// Self-contained on purpose (only the mock Gemini is shared), so the other suites' harnesses can
// change without breaking this one.
import http from 'node:http';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
export const pkg = require('../../index.js');
export const { MockGemini } = require('./mock-gemini.js');
export const gql = require('@copilotkit/runtime-client-gql');
const shared = require('@copilotkit/shared');

export const ENDPOINT = '/api/copilotkit';
export const PAGE_URL = 'http://localhost/page';

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

/**
 * mock Gemini (no demo fallback: an unscripted call answers 500) → `new CopilotRuntime(runtimeOptions)`
 * → `copilotRuntimeNodeHttpEndpoint` on 127.0.0.1:0. `url` is the runtime URL both clients get.
 */
export async function startStack(runtimeOptions = {}, { endpointOptions, adapterOptions } = {}) {
  const mock = await MockGemini.start({ demo: false });
  const runtime = new pkg.CopilotRuntime(runtimeOptions);
  const serviceAdapter = new pkg.GoogleGenerativeAIAdapter({ apiKey: 'test-key', baseUrl: mock.url, ...adapterOptions });
  const handler = pkg.copilotRuntimeNodeHttpEndpoint({ runtime, serviceAdapter, endpoint: ENDPOINT, ...endpointOptions });
  const sockets = new Set();
  const server = http.createServer((req, res) => handler(req, res));
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${server.address().port}`;
  return {
    mock,
    runtime,
    origin,
    url: `${origin}${ENDPOINT}`,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(() => resolve()));
      await mock.close();
    },
  };
}

/**
 * Callbacks that record every call: `rec.before`, `rec.after`, `rec.errors`, `rec.stops` (each the
 * argument the runtime passed). `options` goes into `new CopilotRuntime({...})`.
 */
export function recorder() {
  const rec = { before: [], after: [], errors: [], stops: [] };
  rec.options = {
    middleware: {
      onBeforeRequest: (o) => {
        rec.before.push(o);
      },
      onAfterRequest: (o) => {
        rec.after.push(o);
      },
    },
    onError: (e) => {
      rec.errors.push(e);
    },
    onStopGeneration: (p) => {
      rec.stops.push(p);
    },
  };
  return rec;
}

/** The function declarations of one recorded Gemini request. */
export const declaredTools = (body) => (body?.tools ?? []).flatMap((t) => t.functionDeclarations ?? []);
/** Declared tool names, without the AG-UI state tools. */
export const toolNames = (body) => declaredTools(body).map((d) => d.name).filter((n) => !n.startsWith('AGUI'));
/** Every functionResponse part of a Gemini request, as `[name, response]`. */
export const functionResponses = (body) =>
  (body?.contents ?? []).flatMap((c) => (c.parts ?? []).filter((p) => p.functionResponse).map((p) => [p.functionResponse.name, p.functionResponse.response]));
/** Every functionCall part of a Gemini request, as `[name, args]`. */
export const functionCalls = (body) =>
  (body?.contents ?? []).flatMap((c) => (c.parts ?? []).filter((p) => p.functionCall).map((p) => [p.functionCall.name, p.functionCall.args]));

// ---------------------------------------------------------------------------------------------
// AG-UI: the real @copilotkit/core 1.74 client

let CoreClass = null;
async function loadCore() {
  if (!CoreClass) {
    // The client only connects when it believes it runs in a browser.
    if (typeof globalThis.window === 'undefined') globalThis.window = globalThis;
    ({ CopilotKitCore: CoreClass } = await import('@copilotkit/core'));
  }
  return CoreClass;
}

/** A connected `CopilotKitCore` and its `default` agent; `errors` collects the client's `onError`s. */
export async function aguiClient(url, config = {}) {
  const CopilotKitCore = await loadCore();
  const core = new CopilotKitCore({ runtimeUrl: url, ...config });
  const errors = [];
  core.subscribe({ onError: (e) => errors.push(e) });
  await waitFor(() => core.runtimeConnectionStatus === 'connected' && core.getAgent('default'), {
    what: `the AG-UI client to connect to ${url} (status ${core.runtimeConnectionStatus})`,
  });
  const agent = core.getAgent('default');
  const events = [];
  agent.subscribe({ onEvent: ({ event }) => void events.push(event) });
  return { core, agent, errors, events };
}

/** Add a user message and run the agent to its end (follow-ups included, as the client does them). */
export async function aguiRun(client, content, { id = `u-${crypto.randomUUID()}` } = {}) {
  client.agent.addMessage({ id, role: 'user', content });
  const from = client.events.length;
  await client.core.runAgent({ agent: client.agent });
  return client.events.slice(from);
}

export const types = (events) => events.map((e) => e.type);
export const runErrorOf = (events) => events.find((e) => e.type === 'RUN_ERROR');

// ---------------------------------------------------------------------------------------------
// GraphQL: the real @copilotkit/runtime-client-gql 1.10.6 client, driven like react-core 1.10.6

export const { CopilotRuntimeClient, TextMessage, ResultMessage, Role } = gql;

/** The real client; every `handleGQLErrors` call is recorded in `gqlErrors`. */
export function gqlClient(url, options = {}) {
  const gqlErrors = [];
  const client = new CopilotRuntimeClient({ url, handleGQLErrors: (e) => gqlErrors.push(e), handleGQLWarning: () => {}, ...options });
  return { client, gqlErrors };
}

/** A frontend action as react-core declares it (`useCopilotAction` → `ActionInput`). */
export function frontendAction({ name, description = '', parameters = [] }) {
  return { name, description, jsonSchema: JSON.stringify(shared.actionParametersToJsonSchema(parameters)), available: 'enabled' };
}

export const userMessage = (content, id = `ck-${crypto.randomUUID()}`) => new TextMessage({ id, role: Role.User, content });

/** `GenerateCopilotResponseInput` as react-core 1.10.6 `use-chat.ts` builds it (fresh system message first). */
export function chatInput({ messages, actions = [], threadId = `thread-${crypto.randomUUID()}`, url = PAGE_URL }) {
  const system = new TextMessage({ id: `ck-${crypto.randomUUID()}`, role: Role.System, content: 'You are a helpful assistant.' });
  return {
    frontend: { actions, url },
    threadId,
    runId: null,
    extensions: {},
    metaEvents: [],
    messages: gql.convertMessagesToGqlInput(gql.filterAgentStateMessages([system, ...messages])),
    metadata: { requestType: 'Chat' },
    agentStates: [],
    forwardedParameters: {},
    context: [],
  };
}

/**
 * One `generateCopilotResponse` through `client.asStream` (as react-core reads it):
 * `{ final, messages, error, reads }` — `final` is the last `generateCopilotResponse` value,
 * `messages` what react-core makes of it (`convertGqlOutputToMessages`).
 */
export async function gqlRun(client, data, { properties = {}, signal, onRead } = {}) {
  const reads = [];
  let error = null;
  const reader = client.asStream(client.generateCopilotResponse({ data, properties, signal })).getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      const v = structuredClone(value?.generateCopilotResponse ?? null);
      reads.push(v);
      if (onRead) await onRead(v, reads.length - 1);
    }
  } catch (e) {
    error = e;
  }
  const final = reads.length ? reads.at(-1) : null;
  const messages = final?.messages ? gql.convertGqlOutputToMessages(gql.filterAdjacentAgentStateMessages(final.messages)) : [];
  return { final, messages, error, reads };
}

/** The outputs of a response by `__typename`. */
export const outputs = (final, typename) => (final?.messages ?? []).filter((m) => m.__typename === typename);

/**
 * react-core's frontend-action step: run the handler of every finished action message naming a
 * frontend action and append `ResultMessage { id: "result-" + id }` after it. Returns the new
 * history, or `null` when nothing ran.
 */
export async function runFrontendActions(history, newMessages, handlers) {
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

export const SUCCESS = { code: 'Success', __typename: 'SuccessResponseStatus' };
export const MSG_SUCCESS = { code: 'Success', __typename: 'SuccessMessageStatus' };

/** The HANDLER_ERROR result envelope of spec §5.5 for a handler that threw `message`. */
export const handlerError = (message) => JSON.stringify({ error: { code: 'HANDLER_ERROR', message }, result: '' });
