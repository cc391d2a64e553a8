// CopilotKit remote endpoints (`remoteEndpoints: [copilotKitEndpoint({ url, onBeforeRequest })]`)
// seen by GraphQL-era clients (the real @copilotkit/runtime-client-gql 1.10.6 client), plus the
// runtime's agent methods called directly. The remote endpoint is a local mock speaking the
// CopilotKit Python SDK protocol (support/mock-remote-endpoint.js).
process.env.COPILOT_RUNTIME_RS_REMOTE_RETRY_MS = '5';

import { test, before, beforeEach, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { startGraphqlStack, makeClient, chatInput, userMessage, runGenerate, frontendAction, MockGemini, pkg } from './support/graphql-harness.mjs';

const require = createRequire(import.meta.url);
const { scriptedRemote } = require('./support/mock-remote-endpoint.js');

const SECRET = 'Bearer s3cret-endpoint-token';
const SUCCESS = { code: 'Success', __typename: 'SuccessResponseStatus' };

let remote;
let stack;
const contexts = [];
const onErrorEvents = [];

before(async () => {
  remote = await scriptedRemote();
  stack = await startGraphqlStack({
    runtimeOptions: {
      remoteEndpoints: [
        pkg.copilotKitEndpoint({
          url: remote.url,
          onBeforeRequest: ({ ctx }) => {
            contexts.push(ctx);
            return { headers: { Authorization: SECRET, 'x-tenant': String(ctx.properties?.tenant ?? 'none') } };
          },
        }),
      ],
      onError: (e) => onErrorEvents.push(e),
    },
    endpointOptions: { properties: { tenant: 'acme' } },
  });
});
after(async () => {
  await stack.close();
  await remote.close();
});
beforeEach(() => {
  stack.mock.queue.length = 0;
  remote.requests.length = 0;
  remote.failures.length = 0;
  contexts.length = 0;
  onErrorEvents.length = 0;
});

const byType = (messages, t) => messages.filter((m) => m.__typename === t);

test('availableAgents lists the agents of the remote endpoint (POST {url}/info with the properties and the onBeforeRequest headers)', async () => {
  const { client } = makeClient(stack.url);
  const result = await client.availableAgents().toPromise();
  assert.equal(result.error, undefined);
  const agents = result.data.availableAgents.agents;
  assert.deepEqual(agents.map((a) => a.name), ['crew_agent', 'lg_agent', 'slow_agent', 'broken_agent']);
  assert.equal(agents[0].description, 'A CrewAI agent');
  for (const a of agents) assert.match(a.id, /^ck-[0-9a-f-]{36}$/);

  const [info] = remote.requestsTo('info');
  assert.equal(remote.requestsTo('info').length, 1);
  assert.deepEqual(info.body, { properties: { tenant: 'acme' } }, 'no frontendUrl when listing agents');
  assert.equal(info.headers['content-type'], 'application/json');
  assert.equal(info.headers.authorization, SECRET);
  assert.equal(info.headers['x-tenant'], 'acme');
  // onBeforeRequest got a GraphQL-like context: properties and the client's request.
  assert.equal(contexts.length, 1);
  assert.ok(contexts[0].request instanceof Request);
  assert.equal(contexts[0].request.headers.get('x-copilotkit-runtime-client-gql-version'), '1.10.6');
  assert.equal(typeof contexts[0].logger.debug, 'function');
});

test('remote actions are server tools: the model calls one, the runtime executes it with POST {url}/actions/execute', async () => {
  stack.mock.enqueue(MockGemini.functionCalls([{ name: 'lookupOrder', args: { orderId: 'A1' } }]));
  const { client } = makeClient(stack.url, { headers: { authorization: 'Bearer from-the-browser', 'x-tenant': 'evil' } });
  const run = await runGenerate(client, chatInput({ messages: [userMessage('Where is order A1?')] }));
  assert.equal(run.error, null);
  assert.deepEqual(run.final.status, SUCCESS);

  const declared = (stack.mock.requests.at(-1).body.tools ?? []).flatMap((t) => t.functionDeclarations ?? []);
  const names = declared.map((d) => d.name);
  assert.ok(names.includes('lookupOrder') && names.includes('failingRemote'), 'remote actions are offered to the model');
  assert.ok(names.includes('crew_agent'), 'remote agents are offered as tools too');
  const lookup = declared.find((d) => d.name === 'lookupOrder');
  assert.equal(lookup.description, 'Find an order');
  assert.deepEqual(Object.keys(lookup.parameters.properties), ['orderId']);

  const [result] = byType(run.final.messages, 'ResultMessageOutput');
  assert.equal(result.actionName, 'lookupOrder');
  assert.deepEqual(JSON.parse(result.result), { orderId: 'A1', status: 'shipped' });

  const [exec] = remote.requestsTo('actions/execute');
  assert.deepEqual(exec.body, { name: 'lookupOrder', arguments: { orderId: 'A1' }, properties: { tenant: 'acme' } });
  // The endpoint's own headers; a client's headers never reach (or override) them.
  assert.equal(exec.headers.authorization, SECRET);
  assert.equal(exec.headers['x-tenant'], 'acme');
  // Discovery once per request, with the frontend URL.
  const infos = remote.requestsTo('info');
  assert.equal(infos.length, 1);
  assert.deepEqual(infos[0].body, { properties: { tenant: 'acme' }, frontendUrl: 'http://localhost:3000/' });
});

test('a failing remote action becomes a HANDLER_ERROR result, without the endpoint headers in it', async () => {
  stack.mock.enqueue(MockGemini.functionCalls([{ name: 'failingRemote', args: {} }]));
  const { client } = makeClient(stack.url);
  const run = await runGenerate(client, chatInput({ messages: [userMessage('break it')] }));
  assert.equal(run.error, null);
  const [result] = byType(run.final.messages, 'ResultMessageOutput');
  const decoded = JSON.parse(result.result);
  assert.equal(decoded.error.code, 'HANDLER_ERROR');
  assert.match(decoded.error.message, /HTTP 500/);
  assert.ok(!result.result.includes('s3cret'));
  for (let i = 0; i < 50 && onErrorEvents.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
  assert.ok(onErrorEvents.length >= 1);
  assert.ok(!JSON.stringify(onErrorEvents, (k, v) => (v instanceof Error ? { message: v.message, code: v.code } : v)).includes('s3cret'));
});

test('retries with backoff: /info answering 503 twice and dropping the connection once still succeeds', async () => {
  remote.failNext('info', 503, 2);
  remote.failNext('info', 'network');
  const { client } = makeClient(stack.url);
  const result = await client.availableAgents().toPromise();
  assert.equal(result.error, undefined);
  assert.equal(result.data.availableAgents.agents.length, 4);
  assert.equal(remote.requestsTo('info').length, 4);
});

test('a remote endpoint that cannot be reached, or is not there: GraphQL errors with CopilotKit codes and no secrets', async () => {
  const dead = await startGraphqlStack({
    runtimeOptions: {
      remoteEndpoints: [
        { url: 'http://127.0.0.1:9/nothing', onBeforeRequest: () => ({ headers: { Authorization: SECRET } }) },
      ],
    },
  });
  const missing = await startGraphqlStack({
    runtimeOptions: { remoteEndpoints: [{ url: `${remote.url}/missing`, onBeforeRequest: () => ({ headers: { Authorization: SECRET } }) }] },
  });
  try {
    const down = await makeClient(dead.url).client.availableAgents().toPromise();
    assert.equal(down.data, null);
    assert.equal(down.error.graphQLErrors[0].extensions.code, 'NETWORK_ERROR');
    assert.match(down.error.graphQLErrors[0].message, /127\.0\.0\.1:9\/nothing/);
    assert.ok(!JSON.stringify(down.error.graphQLErrors).includes('s3cret'));

    const notFound = await makeClient(missing.url).client.availableAgents().toPromise();
    assert.equal(notFound.error.graphQLErrors[0].extensions.code, 'REMOTE_ENDPOINT_NOT_FOUND');

    // A chat request fails the same way before any model call.
    const before = missing.mock.requests.length;
    const run = await runGenerate(makeClient(missing.url).client, chatInput({ messages: [userMessage('hi')] }));
    assert.equal(run.error?.graphQLErrors?.[0]?.extensions?.code, 'REMOTE_ENDPOINT_NOT_FOUND');
    assert.equal(missing.mock.requests.length, before);
  } finally {
    await dead.close();
    await missing.close();
  }
});

test('agentSession with a CrewAI remote agent: text, state and tool calls stream as GraphQL messages', async () => {
  const showNote = frontendAction({ name: 'showNote', description: 'Show a note', parameters: [{ name: 'note', type: 'string' }] });
  const { client } = makeClient(stack.url, { headers: { authorization: 'Bearer from-the-browser' } });
  const data = chatInput({
    messages: [userMessage('Research otters', 'u-1')],
    actions: [showNote],
    threadId: 'thread-crew',
    extra: {
      agentSession: { agentName: 'crew_agent', nodeName: 'start' },
      agentStates: [{ agentName: 'crew_agent', state: JSON.stringify({ topic: 'otters' }), config: JSON.stringify({ configurable: { depth: 1 } }) }],
    },
  });
  const modelCalls = stack.mock.requests.length;
  const run = await runGenerate(client, data);
  assert.equal(run.error, null);
  assert.deepEqual(run.final.status, SUCCESS);
  assert.equal(run.final.runId, null);
  assert.equal(run.final.threadId, 'thread-crew');
  assert.equal(stack.mock.requests.length, modelCalls, 'no model call: the remote agent answers');

  const msgs = run.final.messages;
  const [text] = byType(msgs, 'TextMessageOutput');
  assert.equal(text.id, 'crew-m1');
  assert.deepEqual(text.content, ['Researching ', 'otters']);
  const states = byType(msgs, 'AgentStateMessageOutput');
  assert.equal(states.length, 2);
  assert.deepEqual(
    states.map((s) => ({ nodeName: s.nodeName, runId: s.runId, active: s.active, running: s.running, agentName: s.agentName, threadId: s.threadId, state: JSON.parse(s.state) })),
    [
      { nodeName: 'research', runId: 'crew-run', active: true, running: true, agentName: 'crew_agent', threadId: 'thread-crew', state: { topic: 'otters', step: 2 } },
      { nodeName: '__end__', runId: 'crew-run', active: false, running: false, agentName: 'crew_agent', threadId: 'thread-crew', state: { topic: 'otters', step: 3 } },
    ],
  );
  const [action] = byType(msgs, 'ActionExecutionMessageOutput');
  assert.equal(action.name, 'showNote');
  assert.equal(action.arguments.join(''), '{"note":"otters"}');
  assert.equal(action.parentMessageId, 'crew-m1');

  const [exec] = remote.requestsTo('agents/execute');
  assert.equal(exec.headers.authorization, SECRET);
  const b = exec.body;
  assert.equal(b.name, 'crew_agent');
  assert.equal(b.threadId, 'thread-crew');
  assert.equal(b.nodeName, 'start');
  assert.deepEqual(b.state, { topic: 'otters' });
  assert.deepEqual(b.config, { configurable: { depth: 1 } });
  assert.deepEqual(b.properties, { tenant: 'acme' });
  const user = b.messages.find((m) => m.id === 'u-1');
  assert.equal(user.type, 'TextMessage');
  assert.equal(user.role, 'user');
  assert.equal(user.content, 'Research otters');
  const actionNames = b.actions.map((a) => a.name);
  assert.ok(actionNames.includes('showNote') && actionNames.includes('lookupOrder') && actionNames.includes('lg_agent'));
  assert.ok(!actionNames.includes('crew_agent'), 'an agent is not offered itself');
  assert.equal(b.actions.find((a) => a.name === 'showNote').parameters.type, 'object');
});

test('agentSession with a LangGraph remote agent: text and tool-call chunks, state sync and an interrupt meta event', async () => {
  const { client } = makeClient(stack.url);
  const data = chatInput({ messages: [userMessage('Plan it')], threadId: 'thread-lg', extra: { agentSession: { agentName: 'lg_agent' } } });
  const run = await runGenerate(client, data);
  assert.equal(run.error, null);
  assert.deepEqual(run.final.status, SUCCESS);
  const msgs = run.final.messages;
  const [text] = byType(msgs, 'TextMessageOutput');
  assert.equal(text.id, 'lg-m1');
  assert.equal(text.content.join(''), 'Hello there');
  assert.equal(text.status.code, 'Success');
  const [call] = byType(msgs, 'ActionExecutionMessageOutput');
  assert.equal(call.id, 'lg-c1');
  assert.equal(call.name, 'confirm');
  assert.equal(call.arguments.join(''), '{"a":1}');
  assert.equal(call.parentMessageId, 'lg-m2');
  const [state] = byType(msgs, 'AgentStateMessageOutput');
  assert.equal(state.nodeName, 'plan');
  assert.deepEqual(JSON.parse(state.state), { plan: ['a', 'b'] });
  assert.equal(run.final.metaEvents.length, 1);
  assert.equal(run.final.metaEvents[0].name, 'LangGraphInterruptEvent');
  assert.equal(run.final.metaEvents[0].value, 'Approve the plan?');
});

test('a remote agent that fails mid-run: its message is cut and the response fails with its error', async () => {
  const { client } = makeClient(stack.url);
  const run = await runGenerate(client, chatInput({ messages: [userMessage('go')], threadId: 'thread-broken', extra: { agentSession: { agentName: 'broken_agent' } } }));
  assert.equal(run.error, null);
  assert.equal(run.final.status.code, 'Failed');
  assert.match(run.final.status.details.description, /the remote agent exploded/);
  const [text] = byType(run.final.messages, 'TextMessageOutput');
  assert.equal(text.status.code, 'Failed');
});

test('aborting a GraphQL agent session closes the connection to the remote agent', async () => {
  const { client } = makeClient(stack.url);
  const controller = new AbortController();
  const aborted = remote.abortedRuns;
  const run = runGenerate(client, chatInput({ messages: [userMessage('go slow')], threadId: 'thread-slow', extra: { agentSession: { agentName: 'slow_agent' } } }), {
    signal: controller.signal,
    onRead: (v) => {
      if (v?.messages?.[0]?.content?.length >= 3) controller.abort();
    },
  });
  await run;
  for (let i = 0; i < 200 && remote.abortedRuns === aborted; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(remote.abortedRuns, aborted + 1, 'the remote agent saw its client go away');
});

test('a remote agent called from a chat: result "<name> agent started", then the agent runs with that call in its history', async () => {
  stack.mock.enqueue(MockGemini.functionCalls([{ name: 'crew_agent', args: {} }]));
  const modelCalls = stack.mock.requests.length;
  const { client } = makeClient(stack.url);
  const run = await runGenerate(client, chatInput({ messages: [userMessage('Ask the crew')], threadId: 'thread-chat-agent' }));
  assert.equal(run.error, null);
  assert.deepEqual(run.final.status, SUCCESS);
  const msgs = run.final.messages;
  const [call] = byType(msgs, 'ActionExecutionMessageOutput').filter((m) => m.name === 'crew_agent');
  const [result] = byType(msgs, 'ResultMessageOutput');
  assert.equal(result.actionExecutionId, call.id);
  assert.equal(result.result, 'crew_agent agent started');
  assert.ok(msgs.indexOf(result) < msgs.findIndex((m) => m.id === 'crew-m1'), 'the agent speaks after the result');
  assert.equal(byType(msgs, 'AgentStateMessageOutput').length, 2);

  const [exec] = remote.requestsTo('agents/execute');
  const tail = exec.body.messages.slice(-2);
  assert.equal(tail[0].type, 'ActionExecutionMessage');
  assert.equal(tail[0].id, call.id);
  assert.equal(tail[0].name, 'crew_agent');
  assert.equal(tail[1].type, 'ResultMessage');
  assert.equal(tail[1].result, 'crew_agent agent started');
  assert.equal(stack.mock.requests.length, modelCalls + 1, 'one model call, as 1.10.6 makes');
});

test('loadAgentState for a remote agent asks POST {url}/agents/state and re-encodes its answer', async () => {
  const { client } = makeClient(stack.url);
  const result = await client.loadAgentState({ threadId: 'thread-e', agentName: 'lg_agent' }).toPromise();
  assert.equal(result.error, undefined);
  assert.deepEqual(result.data.loadAgentState, {
    threadId: 'thread-e',
    threadExists: true,
    state: '{"topic":"otters","step":2}',
    messages: '[{"id":"m-1","role":"user","content":"Research otters"},{"id":"m-2","role":"assistant","content":"Otters are semi-aquatic mammals."}]',
    __typename: 'LoadAgentStateResponse',
  });
  const [req] = remote.requestsTo('agents/state');
  assert.deepEqual(req.body, { properties: { tenant: 'acme' }, threadId: 'thread-e', name: 'lg_agent' });
  assert.equal(req.headers.authorization, SECRET);

  const unknownThread = await client.loadAgentState({ threadId: 'thread-nobody', agentName: 'lg_agent' }).toPromise();
  assert.equal(unknownThread.data.loadAgentState.threadExists, false);
});

test('unknown agents: AGENT_NOT_FOUND listing what exists, and the next requests still work', async () => {
  const { client } = makeClient(stack.url);
  const load = await client.loadAgentState({ threadId: 't', agentName: 'nope' }).toPromise();
  assert.equal(load.data, null);
  const [err] = load.error.graphQLErrors;
  assert.equal(err.extensions.code, 'AGENT_NOT_FOUND');
  assert.match(err.message, /^Agent 'nope' was not found\. Available agents are: crew_agent, lg_agent, slow_agent, broken_agent\./);

  const run = await runGenerate(client, chatInput({ messages: [userMessage('hi')], extra: { agentSession: { agentName: 'nope' } } }));
  assert.equal(run.error.graphQLErrors[0].extensions.code, 'AGENT_NOT_FOUND');

  const again = await runGenerate(client, chatInput({ messages: [userMessage('hi')], threadId: 'thread-after', extra: { agentSession: { agentName: 'crew_agent' } } }));
  assert.equal(again.error, null);
  assert.deepEqual(again.final.status, SUCCESS);
});

test('CopilotRuntime agent methods called directly', async () => {
  const runtime = new pkg.CopilotRuntime({
    remoteEndpoints: [pkg.copilotKitEndpoint({ url: remote.url, onBeforeRequest: ({ ctx }) => ({ headers: { Authorization: SECRET, 'x-tenant': ctx.properties.tenant } }) })],
    agents: { local_agent: { description: 'A local agent', agentName: 'local_agent' } },
  });
  const ctx = { properties: { tenant: 'direct' } };
  const fromEndpoints = await runtime.discoverAgentsFromEndpoints(ctx);
  assert.deepEqual(fromEndpoints.map((a) => a.name), ['crew_agent', 'lg_agent', 'slow_agent', 'broken_agent']);
  assert.equal(fromEndpoints[0].endpoint.url, remote.url);
  assert.match(fromEndpoints[0].id, /^ck-/);
  assert.equal(remote.requestsTo('info').at(-1).headers['x-tenant'], 'direct');

  assert.deepEqual(runtime.discoverAgentsFromAgui(), [{ name: 'local_agent', id: 'local_agent', description: 'A local agent' }]);
  const all = await runtime.getAllAgents(ctx);
  assert.deepEqual(all.map((a) => a.name), ['crew_agent', 'lg_agent', 'slow_agent', 'broken_agent', 'local_agent']);

  const state = await runtime.loadAgentState(ctx, 'thread-e', 'lg_agent');
  assert.equal(state.threadExists, true);
  assert.equal(state.state, '{"topic":"otters","step":2}');
  assert.equal(JSON.parse(state.messages).length, 2);
  assert.deepEqual(await runtime.loadAgentState(ctx, 'thread-x', 'local_agent'), { threadId: 'thread-x', threadExists: false, state: '{}', messages: '[]' });
  await assert.rejects(runtime.loadAgentState(ctx, 'thread-x', 'nope'), (e) => e.code === 'AGENT_NOT_FOUND' && /Available agents are: crew_agent/.test(e.message));

  // Retries here too, and failures carry codes but no headers.
  remote.failNext('info', 502);
  assert.equal((await runtime.discoverAgentsFromEndpoints(ctx)).length, 4);
  const down = new pkg.CopilotRuntime({ remoteEndpoints: [{ url: 'http://127.0.0.1:9/x', onBeforeRequest: () => ({ headers: { Authorization: SECRET } }) }] });
  await assert.rejects(down.discoverAgentsFromEndpoints(ctx), (e) => e.code === 'NETWORK_ERROR' && !e.message.includes('s3cret'));
});

test('the deprecated remoteActions option is an alias of remoteEndpoints', async () => {
  const legacy = await startGraphqlStack({ runtimeOptions: { remoteActions: [{ url: remote.url }] } });
  try {
    const result = await makeClient(legacy.url).client.availableAgents().toPromise();
    assert.equal(result.data.availableAgents.agents.length, 4);
  } finally {
    await legacy.close();
  }
});

test('a LangGraph Platform endpoint in remoteEndpoints is rejected at construction, pointing at AG-UI LangGraph agents', () => {
  assert.throws(
    () => new pkg.CopilotRuntime({ remoteEndpoints: [pkg.langGraphPlatformEndpoint({ deploymentUrl: 'http://127.0.0.1:9', agents: [{ name: 'a', description: '' }] })] }),
    (e) => e.code === 'MISUSE' && /agents/.test(e.message) && /LangGraphAgent/.test(e.message),
  );
  // Untyped, but LangGraph Platform by shape.
  assert.throws(() => new pkg.CopilotRuntime({ remoteEndpoints: [{ deploymentUrl: 'http://127.0.0.1:9', agents: [] }] }), /LangGraphAgent/);
});
