// Plumbing for the callback suites (`__test__/callbacks-*.test.mjs`): the user's JavaScript
// callbacks (`actions`, `middleware`, `onError`, `onStopGeneration`, request `properties`) seen
// through BOTH protocols with the real client packages. One `copilotRuntimeNodeHttpEndpoint`
// serves both: the AG-UI client (`@copilotkit/core` 1.74) and the GraphQL client
// (`@copilotkit/runtime-client-gql` 1.10.6, driven the way react-core 1.10.6 drives it).
//
// The server, both clients and the GraphQL request builders come from `stack.mjs` (shared with
// the AG-UI and GraphQL harnesses); what is here is only what the callback suites need.
import { connectClient, loadGql, makeClient, chatInput as gqlChatInput, runGenerate, startNodeHttpStack } from './stack.mjs';

export { pkg, MockGemini, sleep, waitFor, types, userMessage, frontendAction, SUCCESS, MSG_SUCCESS } from './stack.mjs';
export { executeFrontendActions as runFrontendActions } from './stack.mjs';

export const gql = loadGql();

export const ENDPOINT = '/api/copilotkit';
export const PAGE_URL = 'http://localhost/page';

/**
 * mock Gemini (no demo fallback: an unscripted call answers 500) → `new CopilotRuntime(runtimeOptions)`
 * → `copilotRuntimeNodeHttpEndpoint` on 127.0.0.1:0. `url` is the runtime URL both clients get.
 */
export function startStack(runtimeOptions = {}, { endpointOptions, adapterOptions } = {}) {
  return startNodeHttpStack({ endpoint: ENDPOINT, runtimeOptions, adapterOptions, endpointOptions, observeBody: false });
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

/** A connected `CopilotKitCore` and its `default` agent; `errors` collects the client's `onError`s. */
export async function aguiClient(url, config = {}) {
  const { core, agent, errors } = await connectClient(url, config);
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

export const runErrorOf = (events) => events.find((e) => e.type === 'RUN_ERROR');

// ---------------------------------------------------------------------------------------------
// GraphQL: the real @copilotkit/runtime-client-gql 1.10.6 client, driven like react-core 1.10.6

export const { CopilotRuntimeClient, TextMessage, ResultMessage, Role } = gql;

/** The real client; every `handleGQLErrors` call is recorded in `gqlErrors`. */
export const gqlClient = makeClient;

/** `GenerateCopilotResponseInput` as react-core 1.10.6 `use-chat.ts` builds it (fresh system message first). */
export function chatInput({ messages, actions = [], threadId = `thread-${crypto.randomUUID()}`, url = PAGE_URL }) {
  return gqlChatInput({ messages, actions, threadId, url });
}

/**
 * One `generateCopilotResponse` through `client.asStream` (as react-core reads it):
 * `{ final, messages, error, reads }` — `final` is the last `generateCopilotResponse` value,
 * `messages` what react-core makes of it (`convertGqlOutputToMessages`).
 */
export async function gqlRun(client, data, options) {
  const { final, messages, error, reads } = await runGenerate(client, data, options);
  return { final, messages, error, reads: reads.map((r) => r.value) };
}

/** The outputs of a response by `__typename`. */
export const outputs = (final, typename) => (final?.messages ?? []).filter((m) => m.__typename === typename);

/** The HANDLER_ERROR result envelope of spec §5.5 for a handler that threw `message`. */
export const handlerError = (message) => JSON.stringify({ error: { code: 'HANDLER_ERROR', message }, result: '' });
