// CopilotKit remote endpoints seen by AG-UI clients (the real @copilotkit/core 1.74 client where it
// can drive the case, hand-written envelopes for the wire details): their agents are listed in
// `info`, run with `agent/run` (their JSON-line events translated to AG-UI events in Rust), stopped
// with `agent/stop`, and restored by `agent/connect` from the endpoint's `/agents/state` when the
// runtime's store does not know the thread. Their actions are server tools of the built-in agent.
process.env.COPILOT_RUNTIME_RS_REMOTE_RETRY_MS = '5';

import { test, before, beforeEach, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { MockGemini, startNodeHttpStack, connectClient, recordEvents, waitFor, postEnvelope, parseSse, runInput, types, pkg } from './support/agui-harness.mjs';

const require = createRequire(import.meta.url);
const { scriptedRemote } = require('./support/mock-remote-endpoint.js');

const SECRET = 'Bearer s3cret-endpoint-token';
let remote;
let stack;

before(async () => {
  remote = await scriptedRemote();
  stack = await startNodeHttpStack({
    runtimeOptions: { remoteEndpoints: [pkg.copilotKitEndpoint({ url: remote.url, onBeforeRequest: () => ({ headers: { Authorization: SECRET } }) })] },
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
});

async function runEnvelope(agentId, input, { signal } = {}) {
  const r = await postEnvelope(stack.url, { method: 'agent/run', params: { agentId }, body: input }, { signal });
  assert.equal(r.status, 200);
  return parseSse(await r.text());
}

test('info lists the remote agents next to the built-in agent', async () => {
  const info = await (await postEnvelope(stack.url, { method: 'info' })).json();
  assert.deepEqual(Object.keys(info.agents), ['default', 'crew_agent', 'lg_agent', 'slow_agent', 'broken_agent']);
  assert.deepEqual(info.agents.crew_agent, { name: 'crew_agent', description: 'A CrewAI agent', className: 'RemoteAgent' });
  const [probe] = remote.requestsTo('info');
  assert.deepEqual(probe.body, { properties: { tenant: 'acme' } });
  assert.equal(probe.headers.authorization, SECRET);
});

test('the real client runs a CrewAI remote agent: text, state and a tool call arrive as AG-UI events', async () => {
  const { core, errors } = await connectClient(stack.url);
  const agent = await waitFor(() => core.getAgent('crew_agent'), { what: 'the crew_agent proxy' });
  agent.setState({ topic: 'beavers' });
  const events = recordEvents(agent);
  agent.addMessage({ id: 'u-crew', role: 'user', content: 'Research beavers' });
  await core.runAgent({ agent });

  assert.deepEqual(types(events), [
    'RUN_STARTED',
    'TEXT_MESSAGE_START',
    'TEXT_MESSAGE_CONTENT',
    'TEXT_MESSAGE_CONTENT',
    'TEXT_MESSAGE_END',
    'STATE_SNAPSHOT',
    'TOOL_CALL_START',
    'TOOL_CALL_ARGS',
    'TOOL_CALL_ARGS',
    'TOOL_CALL_END',
    'STATE_SNAPSHOT',
    'RUN_FINISHED',
  ]);
  assert.deepEqual(errors, []);
  assert.deepEqual(agent.state, { topic: 'beavers', step: 3 });
  const assistant = agent.messages.find((m) => m.id === 'crew-m1');
  assert.equal(assistant.content, 'Researching beavers');
  assert.equal(assistant.toolCalls[0].function.name, 'showNote');
  assert.equal(assistant.toolCalls[0].function.arguments, '{"note":"otters"}');

  const [exec] = remote.requestsTo('agents/execute');
  assert.equal(exec.headers.authorization, SECRET);
  assert.equal(exec.body.name, 'crew_agent');
  assert.equal(exec.body.threadId, agent.threadId);
  assert.deepEqual(exec.body.state, { topic: 'beavers' });
  assert.deepEqual(exec.body.properties, { tenant: 'acme' });
  const user = exec.body.messages.find((m) => m.id === 'u-crew');
  assert.deepEqual({ type: user.type, role: user.role, content: user.content }, { type: 'TextMessage', role: 'user', content: 'Research beavers' });
});

test('a LangGraph remote agent: chunks become messages and tool calls, state syncs snapshots, interrupts CUSTOM on_interrupt', async () => {
  const input = runInput({ threadId: 'agui-lg', messages: [{ id: 'u-lg', role: 'user', content: 'Plan' }] });
  input.tools = [{ name: 'confirm', description: 'Confirm', parameters: { type: 'object', properties: { a: { type: 'number' } } } }];
  input.forwardedProps = { nodeName: 'planner', config: { configurable: { k: 1 } } };
  const events = await runEnvelope('lg_agent', input);
  assert.deepEqual(types(events), [
    'RUN_STARTED',
    'TEXT_MESSAGE_START',
    'TEXT_MESSAGE_CONTENT',
    'TEXT_MESSAGE_CONTENT',
    'TEXT_MESSAGE_END',
    'TOOL_CALL_START',
    'TOOL_CALL_ARGS',
    'TOOL_CALL_ARGS',
    'TOOL_CALL_END',
    'STATE_SNAPSHOT',
    'CUSTOM',
    'RUN_FINISHED',
  ]);
  assert.equal(events[5].toolCallName, 'confirm');
  assert.equal(events[5].parentMessageId, 'lg-m2');
  assert.deepEqual(events[9].snapshot, { plan: ['a', 'b'] });
  assert.deepEqual({ name: events[10].name, value: events[10].value }, { name: 'on_interrupt', value: 'Approve the plan?' });
  const [exec] = remote.requestsTo('agents/execute');
  assert.equal(exec.body.nodeName, 'planner');
  assert.deepEqual(exec.body.config, { configurable: { k: 1 } });
  assert.deepEqual(exec.body.actions, [{ name: 'confirm', description: 'Confirm', parameters: { type: 'object', properties: { a: { type: 'number' } } } }]);
  assert.deepEqual(exec.body.properties, { tenant: 'acme', nodeName: 'planner', config: { configurable: { k: 1 } } });
});

test('agent/connect on a thread only the remote endpoint knows replays its /agents/state answer', async () => {
  const { core, errors } = await connectClient(stack.url);
  const agent = await waitFor(() => core.getAgent('lg_agent'), { what: 'the lg_agent proxy' });
  agent.threadId = 'thread-e';
  const events = recordEvents(agent);
  await core.connectAgent({ agent });
  assert.deepEqual(types(events), ['RUN_STARTED', 'MESSAGES_SNAPSHOT', 'STATE_SNAPSHOT', 'RUN_FINISHED']);
  assert.deepEqual(agent.messages.map(({ id, role, content }) => ({ id, role, content })), [
    { id: 'm-1', role: 'user', content: 'Research otters' },
    { id: 'm-2', role: 'assistant', content: 'Otters are semi-aquatic mammals.' },
  ]);
  assert.deepEqual(agent.state, { topic: 'otters', step: 2 });
  assert.deepEqual(errors, []);
  const [state] = remote.requestsTo('agents/state');
  assert.deepEqual(state.body, { properties: { tenant: 'acme' }, threadId: 'thread-e', name: 'lg_agent' });

  // A thread neither knows: an empty replay.
  const none = await postEnvelope(stack.url, { method: 'agent/connect', params: { agentId: 'lg_agent' }, body: runInput({ threadId: 'thread-nobody' }) });
  assert.equal(none.status, 200);
  assert.equal(await none.text(), '');
});

test('agent/connect on a thread the runtime ran answers from its own store, without asking the endpoint', async () => {
  await runEnvelope('crew_agent', runInput({ threadId: 'agui-stored', messages: [{ id: 'u-s', role: 'user', content: 'hi' }] }));
  remote.requests.length = 0;
  const r = await postEnvelope(stack.url, { method: 'agent/connect', params: { agentId: 'crew_agent' }, body: runInput({ threadId: 'agui-stored' }) });
  const events = parseSse(await r.text());
  assert.equal(events[0].type, 'RUN_STARTED');
  assert.ok(types(events).includes('TEXT_MESSAGE_CONTENT'));
  assert.equal(events.at(-1).type, 'RUN_FINISHED');
  assert.equal(remote.requestsTo('agents/state').length, 0);
});

test('agent/stop ends a remote agent run and closes its connection', async () => {
  const aborted = remote.abortedRuns;
  const r = await postEnvelope(stack.url, { method: 'agent/run', params: { agentId: 'slow_agent' }, body: runInput({ threadId: 'agui-slow' }) });
  const reader = r.body.getReader();
  let text = '';
  while (!text.includes('TEXT_MESSAGE_CONTENT')) {
    const { value } = await reader.read();
    text += Buffer.from(value).toString();
  }
  const stop = await (await postEnvelope(stack.url, { method: 'agent/stop', params: { agentId: 'slow_agent', threadId: 'agui-slow' } })).json();
  assert.equal(stop.stopped, true);
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    text += Buffer.from(value).toString();
  }
  const events = parseSse(text);
  assert.deepEqual(types(events).slice(-2), ['TEXT_MESSAGE_END', 'RUN_FINISHED']);
  await waitFor(() => remote.abortedRuns > aborted, { what: 'the remote agent to see its client leave' });
});

test('a remote agent failing mid-run: its RunError ends the run as RUN_ERROR (the real client reports it)', async () => {
  const events = await runEnvelope('broken_agent', runInput({ threadId: 'agui-broken' }));
  // The agent's own terminal event goes out as it is (AG-UI allows RUN_ERROR with a message open).
  assert.deepEqual(types(events), ['RUN_STARTED', 'TEXT_MESSAGE_START', 'TEXT_MESSAGE_CONTENT', 'RUN_ERROR']);
  assert.equal(events.at(-1).message, 'the remote agent exploded');

  const { core } = await connectClient(stack.url);
  const agent = await waitFor(() => core.getAgent('broken_agent'), { what: 'the broken_agent proxy' });
  const failures = [];
  agent.subscribe({ onRunErrorEvent: ({ event }) => failures.push(event.message) });
  agent.addMessage({ id: 'u-broken', role: 'user', content: 'go' });
  await core.runAgent({ agent }).catch(() => {});
  assert.deepEqual(failures, ['the remote agent exploded']);
});

test('an unknown agent is a 404, and a remote endpoint that is down only removes its agents', async () => {
  const r = await postEnvelope(stack.url, { method: 'agent/run', params: { agentId: 'nope' }, body: runInput() });
  assert.equal(r.status, 404);
  const down = await startNodeHttpStack({ runtimeOptions: { remoteEndpoints: [{ url: 'http://127.0.0.1:9/x' }] } });
  try {
    const info = await (await postEnvelope(down.url, { method: 'info' })).json();
    assert.deepEqual(Object.keys(info.agents), ['default']);
  } finally {
    await down.close();
  }
});

test('the built-in agent gets the remote actions as server tools', async () => {
  stack.mock.enqueue(MockGemini.functionCalls([{ name: 'lookupOrder', args: { orderId: 'B2' } }]), MockGemini.text(['Order B2 has shipped.']));
  const events = await runEnvelope('default', runInput({ threadId: 'agui-actions', messages: [{ id: 'u-a', role: 'user', content: 'Where is B2?' }] }));
  const result = events.find((e) => e.type === 'TOOL_CALL_RESULT');
  assert.deepEqual(JSON.parse(result.content), { orderId: 'B2', status: 'shipped' });
  assert.equal(events.at(-1).type, 'RUN_FINISHED');
  const [exec] = remote.requestsTo('actions/execute');
  assert.deepEqual(exec.body, { name: 'lookupOrder', arguments: { orderId: 'B2' }, properties: { tenant: 'acme' } });
  assert.equal(exec.headers.authorization, SECRET);
  const declared = (stack.mock.requests.at(-2).body.tools ?? []).flatMap((t) => t.functionDeclarations ?? []).map((d) => d.name);
  assert.ok(declared.includes('lookupOrder'));
  assert.ok(!declared.includes('crew_agent'), 'remote agents are not tools of the AG-UI built-in agent');
});
