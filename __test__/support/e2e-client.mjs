// One chat turn against a running example, driven from Node by the real client packages:
// `@copilotkit/core` 1.74 (AG-UI, what react-core 1.74 uses) and `@copilotkit/runtime-client-gql`
// 1.10.6 (GraphQL, what react-core 1.10.6 uses). Both are dev dependencies of this package.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitFor(fn, { timeoutMs = 30000, what = 'condition' } = {}) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

/** One user message through `CopilotKitCore` → the assistant's text and the events seen. */
export async function aguiChatTurn(runtimeUrl, text, { headers, connectTimeoutMs = 60000 } = {}) {
  // The core only connects when it believes it runs in a browser.
  if (typeof globalThis.window === 'undefined') globalThis.window = globalThis;
  const { CopilotKitCore } = await import('@copilotkit/core');
  const core = new CopilotKitCore({ runtimeUrl, ...(headers ? { headers } : {}) });
  const errors = [];
  core.subscribe({ onError: (e) => errors.push(e) });
  await waitFor(() => core.runtimeConnectionStatus === 'connected' && core.getAgent('default'), {
    timeoutMs: connectTimeoutMs,
    what: `the AG-UI client to connect to ${runtimeUrl} (status ${core.runtimeConnectionStatus})`,
  });
  const agent = core.getAgent('default');
  const events = [];
  agent.subscribe({ onEvent: ({ event }) => void events.push(event) });
  agent.addMessage({ id: `u-${crypto.randomUUID()}`, role: 'user', content: text });
  await core.runAgent({ agent });
  const answer = agent.messages
    .filter((m) => m.role === 'assistant' && typeof m.content === 'string')
    .map((m) => m.content)
    .join('');
  return { answer, events, errors: errors.map((e) => e.error?.message ?? String(e.error ?? e)) };
}

/** One user message through `CopilotRuntimeClient.generateCopilotResponse` as react-core 1.10.6 sends it. */
export async function gqlChatTurn(url, text) {
  const gql = require('@copilotkit/runtime-client-gql');
  const { CopilotRuntimeClient, TextMessage, Role } = gql;
  const gqlErrors = [];
  const client = new CopilotRuntimeClient({ url, handleGQLErrors: (e) => gqlErrors.push(e), handleGQLWarning: () => {} });
  const system = new TextMessage({ id: `ck-${crypto.randomUUID()}`, role: Role.System, content: 'You are a helpful assistant.' });
  const user = new TextMessage({ id: `ck-${crypto.randomUUID()}`, role: Role.User, content: text });
  const data = {
    frontend: { actions: [], url: 'http://127.0.0.1/' },
    threadId: `thread-${crypto.randomUUID()}`,
    runId: null,
    extensions: {},
    metaEvents: [],
    messages: gql.convertMessagesToGqlInput([system, user]),
    metadata: { requestType: 'Chat' },
    agentStates: [],
    forwardedParameters: {},
    context: [],
  };
  const reader = client.asStream(client.generateCopilotResponse({ data, properties: {} })).getReader();
  let final = null;
  let reads = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    reads += 1;
    final = value?.generateCopilotResponse ?? final;
  }
  const messages = final?.messages ? gql.convertGqlOutputToMessages(final.messages) : [];
  const answer = messages
    .filter((m) => m.isTextMessage() && m.role === Role.Assistant)
    .map((m) => m.content)
    .join('');
  return { answer, reads, status: final?.status, errors: gqlErrors.map((e) => e.message ?? String(e)) };
}
