// The real @copilotkit/core 1.74 client against copilotRuntimeNodeHttpEndpoint + the mock Gemini:
// transport detection, token streaming, frontend tools with their follow-up run, and
// agent/connect replay (after a run and while one is streaming).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { MockGemini, startNodeHttpStack, connectClient, recordEvents, waitFor, byMethod, types } from './support/agui-harness.mjs';

let stack;
before(async () => {
  stack = await startNodeHttpStack({ endpoint: '/api/copilotkit' });
});
after(async () => {
  await stack.close();
});

test('auto transport: GET {url}/info is refused (405, Allow: POST) and the client settles on the single route', async () => {
  const from = stack.requests.length;
  const { core, agent, errors } = await connectClient(stack.url);
  assert.equal(core.runtimeTransport, 'single');
  assert.equal(core.runtimeConnectionStatus, 'connected');
  assert.ok(agent, 'the info answer created the `default` agent');
  const seen = stack.requests.slice(from);
  assert.deepEqual(
    seen.map((r) => [r.method, r.url, r.status, r.envelope]),
    [
      ['GET', '/api/copilotkit/info', 405, null],
      ['POST', '/api/copilotkit', 200, { method: 'info' }],
    ],
  );
  assert.match(seen[1].headers['content-type'], /application\/json/);
  assert.deepEqual(errors, []);
});

test('a text answer is streamed token by token: one client event per upstream delta, as the mock paces them', async () => {
  const { core, agent, errors } = await connectClient(stack.url);
  const deltas = ['Hel', 'lo', ' from', ' the', ' mock', '.'];
  const pace = 60;
  stack.mock.enqueue(MockGemini.text(deltas, { delayMs: pace }));
  const upstreamBefore = stack.mock.requests.length;
  const seen = [];
  agent.subscribe({ onTextMessageContentEvent: ({ event }) => seen.push({ delta: event.delta, at: performance.now() }) });
  agent.addMessage({ id: 'u-stream', role: 'user', content: 'Say hello' });
  await core.runAgent({ agent });

  assert.deepEqual(seen.map((s) => s.delta), deltas, 'every delta arrives separately and in order');
  const upstream = stack.mock.requests[upstreamBefore];
  assert.equal(upstream.writes.length, deltas.length);
  // Live, not buffered: the client had the first token long before the mock produced the last.
  const lastWritten = upstream.writes.at(-1);
  assert.ok(seen[0].at < lastWritten - 3 * pace, `first delta at ${seen[0].at.toFixed(1)}, last produced at ${lastWritten.toFixed(1)}`);
  const spread = seen.at(-1).at - seen[0].at;
  assert.ok(spread >= (deltas.length - 2) * pace, `deltas observed over ${spread.toFixed(1)} ms`);
  // Each delta reaches the client shortly after the mock wrote it.
  seen.forEach((s, i) => assert.ok(s.at - upstream.writes[i] < 40 + pace / 2, `delta ${i} lagged ${(s.at - upstream.writes[i]).toFixed(1)} ms`));

  const last = agent.messages.at(-1);
  assert.equal(last.role, 'assistant');
  assert.equal(last.content, deltas.join(''));
  assert.deepEqual(upstream.body.contents, [{ role: 'user', parts: [{ text: 'Say hello' }] }]);
  assert.deepEqual(errors, []);
});

test('frontend tool: the client runs the handler, then a follow-up run on the same thread is answered with text', async () => {
  const { core, agent, errors } = await connectClient(stack.url);
  const calls = [];
  core.addTool({
    name: 'changeBackgroundColor',
    description: 'Change the page background color',
    parameters: z.object({ color: z.string().describe('A CSS color name') }),
    handler: async (args) => {
      calls.push(args);
      return `Background changed to ${args.color}`;
    },
  });
  const upstreamBefore = stack.mock.requests.length;
  const runsBefore = stack.requests.filter(byMethod('agent/run')).length;
  stack.mock.enqueue(MockGemini.functionCalls([{ name: 'changeBackgroundColor', args: { color: 'blue' } }]));
  stack.mock.enqueue(MockGemini.text(['The background', ' is now blue.']));
  const events = recordEvents(agent);
  agent.addMessage({ id: 'u-tool', role: 'user', content: 'Make the background blue' });
  await core.runAgent({ agent });

  assert.deepEqual(calls, [{ color: 'blue' }], 'the handler ran once with the model arguments');
  const runs = stack.requests.filter(byMethod('agent/run')).slice(runsBefore);
  assert.equal(runs.length, 2, 'one run for the tool call, one follow-up');
  const [run1, run2] = runs.map((r) => r.envelope.body);
  assert.equal(run2.threadId, run1.threadId, 'the follow-up is on the same thread');
  assert.notEqual(run2.runId, run1.runId);
  assert.deepEqual(run1.tools.map((t) => t.name), ['changeBackgroundColor']);
  assert.deepEqual(run1.tools[0].parameters.properties.color, { type: 'string', description: 'A CSS color name' });

  // Run 1 ended with the tool call and no result; run 2 answered with text.
  const t = types(events);
  const firstFinish = t.indexOf('RUN_FINISHED');
  assert.deepEqual(t.slice(0, firstFinish + 1), ['RUN_STARTED', 'TOOL_CALL_START', 'TOOL_CALL_ARGS', 'TOOL_CALL_END', 'RUN_FINISHED']);
  assert.equal(events[firstFinish].finishReason, 'tool-calls');
  assert.ok(!t.includes('TOOL_CALL_RESULT'));

  // Gemini saw the call and its result as a functionCall / functionResponse pair.
  const upstream = stack.mock.requests.slice(upstreamBefore);
  assert.equal(upstream.length, 2);
  assert.deepEqual(upstream[0].body.tools[0].functionDeclarations.map((d) => d.name).filter((n) => !n.startsWith('AGUI')), ['changeBackgroundColor']);
  const contents = upstream[1].body.contents;
  assert.equal(contents.length, 3);
  assert.deepEqual(contents[0], { role: 'user', parts: [{ text: 'Make the background blue' }] });
  assert.equal(contents[1].role, 'model');
  const call = contents[1].parts.find((p) => p.functionCall).functionCall;
  assert.equal(call.name, 'changeBackgroundColor');
  assert.deepEqual(call.args, { color: 'blue' });
  assert.equal(contents[2].role, 'user');
  const resp = contents[2].parts.find((p) => p.functionResponse).functionResponse;
  assert.equal(resp.name, 'changeBackgroundColor');
  // (1.75 also repeats the tool name inside `response`; our engine sends the result alone.)
  assert.equal(resp.response.content, 'Background changed to blue');
  if (call.id !== undefined || resp.id !== undefined) assert.equal(resp.id, call.id, 'call and response carry the same id');

  const msgs = agent.messages;
  assert.deepEqual(msgs.map((m) => m.role), ['user', 'assistant', 'tool', 'assistant']);
  assert.equal(msgs[2].toolCallId, msgs[1].toolCalls[0].id);
  assert.equal(msgs[3].content, 'The background is now blue.');
  assert.deepEqual(errors, []);
  core.removeTool('changeBackgroundColor');
});

test('agent/connect after a finished run: a fresh client on the same thread rebuilds the conversation', async () => {
  const a = await connectClient(stack.url);
  stack.mock.enqueue(MockGemini.text(['Replay', ' me', ' later.']));
  a.agent.addMessage({ id: 'u-replay', role: 'user', content: 'Remember this' });
  await a.core.runAgent({ agent: a.agent });
  const threadId = a.agent.threadId;
  const expected = a.agent.messages.map(({ id, role, content }) => ({ id, role, content }));
  assert.equal(expected.length, 2);

  // A page reload: a new client, told the thread id, connects.
  const upstreamBefore = stack.mock.requests.length;
  const b = await connectClient(stack.url);
  b.agent.threadId = threadId;
  const events = recordEvents(b.agent);
  await b.core.connectAgent({ agent: b.agent });

  const connect = stack.requests.filter(byMethod('agent/connect')).at(-1);
  assert.deepEqual(connect.envelope.params, { agentId: 'default' });
  assert.equal(connect.envelope.body.threadId, threadId);
  assert.deepEqual(b.agent.messages.map(({ id, role, content }) => ({ id, role, content })), expected);
  // Compacted replay: one content event holding the whole answer.
  assert.deepEqual(types(events), ['RUN_STARTED', 'TEXT_MESSAGE_START', 'TEXT_MESSAGE_CONTENT', 'TEXT_MESSAGE_END', 'RUN_FINISHED']);
  assert.equal(events[2].delta, 'Replay me later.');
  assert.equal(stack.mock.requests.length, upstreamBefore, 'a replay never calls the model');
  assert.deepEqual(b.errors, []);
});

test('agent/connect during a run: the connecting client gets what was produced so far, then the rest live', async () => {
  const a = await connectClient(stack.url);
  const deltas = ['One', ' two', ' three', ' four', ' five', ' six', ' seven', '.'];
  const pace = 70;
  stack.mock.enqueue(MockGemini.text(deltas, { delayMs: pace }));
  const upstreamBefore = stack.mock.requests.length;
  const aSeen = [];
  a.agent.subscribe({ onTextMessageContentEvent: ({ event }) => aSeen.push(event.delta) });
  a.agent.addMessage({ id: 'u-live', role: 'user', content: 'Count' });
  const runA = a.core.runAgent({ agent: a.agent });
  await waitFor(() => aSeen.length >= 2, { what: 'two deltas on the running client' });

  const b = await connectClient(stack.url);
  b.agent.threadId = a.agent.threadId;
  const bEvents = recordEvents(b.agent);
  const connectStarted = performance.now();
  const connected = b.core.connectAgent({ agent: b.agent });
  await Promise.all([runA, connected]);

  const upstream = stack.mock.requests[upstreamBefore];
  assert.ok(upstream.writes[2] > connectStarted || upstream.writes.at(-1) > connectStarted, 'the connect started while the model was still streaming');
  const bContent = bEvents.filter((e) => e.type === 'TEXT_MESSAGE_CONTENT');
  assert.equal(bContent.map((e) => e.delta).join(''), deltas.join(''), 'nothing lost, nothing duplicated');
  const live = bContent.filter((e) => e.observedAt > connectStarted + pace);
  assert.ok(live.length >= 2, `the rest arrived live, delta by delta (${bContent.map((e) => JSON.stringify(e.delta)).join(', ')})`);
  assert.equal(types(bEvents)[0], 'RUN_STARTED');
  assert.equal(types(bEvents).at(-1), 'RUN_FINISHED');
  assert.equal(types(bEvents).filter((t) => t === 'RUN_STARTED').length, 1);

  const final = (agent) => agent.messages.map(({ id, role, content }) => ({ id, role, content }));
  assert.deepEqual(final(b.agent), final(a.agent));
  assert.equal(b.agent.messages.at(-1).content, deltas.join(''));
  assert.deepEqual(a.errors, []);
  assert.deepEqual(b.errors, []);
});
