// One endpoint, both client generations: the same node-http server answers the real GraphQL
// client (`@copilotkit/runtime-client-gql` 1.10.6, react-core ≤ 1.10) and the real AG-UI client
// (`@copilotkit/core` 1.74) in the same run — one after the other and at the same time — each in
// its own protocol, over the same built-in agent.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startGraphqlStack, makeClient, chatInput, userMessage, runGenerate, MockGemini } from './support/graphql-harness.mjs';

let stack;
let CopilotKitCore;
before(async () => {
  stack = await startGraphqlStack();
  // The AG-UI client only connects when it believes it runs in a browser.
  if (typeof globalThis.window === 'undefined') globalThis.window = globalThis;
  ({ CopilotKitCore } = await import('@copilotkit/core'));
});
after(async () => {
  await stack.close();
});

async function connectAgui() {
  const core = new CopilotKitCore({ runtimeUrl: stack.url });
  const errors = [];
  core.subscribe({ onError: (e) => errors.push(e) });
  const until = performance.now() + 5000;
  while (!(core.runtimeConnectionStatus === 'connected' && core.getAgent('default'))) {
    if (performance.now() > until) throw new Error(`AG-UI client did not connect (status ${core.runtimeConnectionStatus})`);
    await new Promise((r) => setTimeout(r, 5));
  }
  return { core, agent: core.getAgent('default'), errors };
}

const SUCCESS = { code: 'Success', __typename: 'SuccessResponseStatus' };

test('GraphQL, then AG-UI, then GraphQL again on the same endpoint', async () => {
  const { client, gqlErrors } = makeClient(stack.url);

  stack.mock.enqueue(MockGemini.text(['Hello', ' from GraphQL']));
  const g1 = await runGenerate(client, chatInput({ messages: [userMessage('hi over graphql')], threadId: 'thread-gql-1' }));
  assert.equal(g1.error, null);
  assert.deepEqual(g1.final.status, SUCCESS);
  assert.equal(g1.messages[0].content, 'Hello from GraphQL');

  const { core, agent, errors } = await connectAgui();
  stack.mock.enqueue(MockGemini.text(['Hello', ' from AG-UI']));
  agent.addMessage({ id: 'agui-u1', role: 'user', content: 'hi over ag-ui' });
  await core.runAgent({ agent });
  assert.deepEqual(errors, []);
  const last = agent.messages.at(-1);
  assert.equal(last.role, 'assistant');
  assert.equal(last.content, 'Hello from AG-UI');

  stack.mock.enqueue(MockGemini.text(['Still', ' here']));
  const g2 = await runGenerate(client, chatInput({ messages: [userMessage('again')], threadId: 'thread-gql-2' }));
  assert.deepEqual(g2.final.status, SUCCESS);
  assert.equal(g2.messages[0].content, 'Still here');
  assert.deepEqual(gqlErrors, []);

  // Each model call saw only its own conversation.
  const contents = stack.mock.requests.slice(-3).map((r) => r.body.contents.map((c) => c.parts.map((p) => p.text).join('')));
  assert.deepEqual(contents, [['hi over graphql'], ['hi over ag-ui'], ['again']]);

  // Discovery in each protocol: GraphQL sees no agents, AG-UI sees the built-in `default`.
  const agents = await client.availableAgents().toPromise();
  assert.deepEqual(agents.data.availableAgents.agents, []);
  assert.ok(core.getAgent('default'));
});

test('a GraphQL stream and an AG-UI run at the same time on the same endpoint', async () => {
  const { client } = makeClient(stack.url);
  const { core, agent, errors } = await connectAgui();
  // The mock answers in arrival order; both answers are the same text so order does not matter.
  const deltas = ['shared', ' ', 'answer', ' ', 'text'];
  stack.mock.enqueue(MockGemini.text(deltas, { delayMs: 25 }), MockGemini.text(deltas, { delayMs: 25 }));
  agent.addMessage({ id: 'agui-u2', role: 'user', content: 'concurrently' });
  const [g] = await Promise.all([
    runGenerate(client, chatInput({ messages: [userMessage('concurrently')], threadId: 'thread-gql-3' })),
    core.runAgent({ agent }),
  ]);
  assert.equal(g.error, null);
  assert.deepEqual(g.final.status, SUCCESS);
  assert.equal(g.final.threadId, 'thread-gql-3');
  assert.deepEqual(g.final.messages[0].content, deltas, 'GraphQL got every delta as its own item');
  assert.deepEqual(errors, []);
  assert.equal(agent.messages.at(-1).content, deltas.join(''));
  // Both requests were streaming at the same time (their upstream answers overlapped).
  const [a, b] = stack.mock.requests.slice(-2);
  assert.ok(a.writes.at(-1) > b.writes[0] && b.writes.at(-1) > a.writes[0], 'the two answers overlapped');
});
