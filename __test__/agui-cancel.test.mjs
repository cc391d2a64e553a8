// Ending runs early: stop from the real client, client disconnects, and a second run on a busy
// thread. Product rule: the upstream Gemini call is cancelled within 50 ms of the stop request
// reaching the server, or of the client going away.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import {
  MockGemini, startNodeHttpStack, connectClient, recordEvents, waitFor, byMethod, types, postEnvelope, runInput, parseSse, newId,
} from './support/agui-harness.mjs';

const CANCEL_BUDGET_MS = 50;

let stack;
before(async () => {
  stack = await startNodeHttpStack({ endpoint: '/api/copilotkit' });
});
after(async () => {
  await stack.close();
});

/** An upstream answer that streams two deltas, then stays open until the runtime hangs up. */
const neverEnding = () => MockGemini.text(['Counting:', ' one'], { holdOpen: true, finishReason: null });

test('stop mid-run from the client: the run stream ends cleanly and the upstream call is cancelled within 50 ms', async () => {
  const { core, agent, errors } = await connectClient(stack.url);
  stack.mock.enqueue(neverEnding());
  const upstreamBefore = stack.mock.requests.length;
  const events = recordEvents(agent);
  agent.addMessage({ id: 'u-stop', role: 'user', content: 'Count forever' });
  const run = core.runAgent({ agent });
  await waitFor(() => events.filter((e) => e.type === 'TEXT_MESSAGE_CONTENT').length === 2, { what: 'the two deltas' });
  const upstream = stack.mock.requests[upstreamBefore];
  assert.equal(upstream.closedEarlyAt, null, 'the upstream call is still open before the stop');

  const runRequest = stack.requests.filter(byMethod('agent/run')).at(-1);
  core.stopAgent({ agent });
  const stopReq = await stack.waitForRequest(byMethod('agent/stop'));
  const closedAt = await stack.mock.waitForClientClose(upstream, 2000);
  const lag = closedAt - stopReq.bodyAt;
  assert.ok(lag < CANCEL_BUDGET_MS, `upstream closed ${lag.toFixed(1)} ms after the stop request reached the server`);

  await run; // the client's run resolves: its stream ended
  assert.deepEqual(stopReq.envelope, {
    method: 'agent/stop',
    params: { agentId: 'default', threadId: agent.threadId },
    body: { runId: runRequest.envelope.body.runId },
  });
  assert.equal(stopReq.status, 200);
  const t = types(events);
  assert.deepEqual(t, ['RUN_STARTED', 'TEXT_MESSAGE_START', 'TEXT_MESSAGE_CONTENT', 'TEXT_MESSAGE_CONTENT', 'TEXT_MESSAGE_END', 'RUN_FINISHED']);
  assert.equal(events.at(-1).threadId, agent.threadId);
  assert.equal(events.at(-1).runId, runRequest.envelope.body.runId);
  assert.equal(agent.messages.at(-1).content, 'Counting: one', 'the partial answer is kept');
  assert.deepEqual(errors, [], 'a stop is not an error');
  await waitFor(() => runRequest.closedAt !== null, { what: 'the run response to end' });

  // The stopped run was stored: a reconnect replays it.
  const b = await connectClient(stack.url);
  b.agent.threadId = agent.threadId;
  await b.core.connectAgent({ agent: b.agent });
  assert.equal(b.agent.messages.at(-1).content, 'Counting: one');
});

/** Script a never-ending answer for the next run; returns a fresh thread id and the index its upstream request will have. */
function scriptNeverEnding() {
  stack.mock.enqueue(neverEnding());
  return { threadId: newId(), upstreamIndex: stack.mock.requests.length };
}

test('client disconnect (fetch aborted mid-stream) cancels the upstream call within 50 ms', async () => {
  const { threadId, upstreamIndex } = scriptNeverEnding();
  const ac = new AbortController();
  const res = await postEnvelope(stack.url, { method: 'agent/run', params: { agentId: 'default' }, body: runInput({ threadId }) }, { signal: ac.signal });
  assert.equal(res.status, 200);
  const reader = res.body.getReader();
  let text = '';
  const dec = new TextDecoder();
  while (!text.includes('" one"')) {
    const { value, done } = await reader.read();
    assert.ok(!done, 'the stream stays open');
    text += dec.decode(value, { stream: true });
  }
  const upstream = stack.mock.requests[upstreamIndex];
  const abortedAt = performance.now();
  ac.abort();
  const closedAt = await stack.mock.waitForClientClose(upstream, 2000);
  assert.ok(closedAt - abortedAt < CANCEL_BUDGET_MS, `upstream closed ${(closedAt - abortedAt).toFixed(1)} ms after the client aborted`);

  // The thread is free again (the run ended) and what was produced was kept.
  const replay = await postEnvelope(stack.url, { method: 'agent/connect', params: { agentId: 'default' }, body: runInput({ threadId }) });
  const evs = parseSse(await replay.text());
  assert.equal(evs[0].type, 'RUN_STARTED');
  assert.ok(['RUN_FINISHED', 'RUN_ERROR'].includes(evs.at(-1).type), `replay ends with a terminal event: ${types(evs)}`);
  assert.equal(evs.filter((e) => e.type === 'TEXT_MESSAGE_CONTENT').map((e) => e.delta).join(''), 'Counting: one');
});

test('client disconnect (socket destroyed mid-stream) cancels the upstream call within 50 ms', async () => {
  const { threadId, upstreamIndex } = scriptNeverEnding();
  const body = JSON.stringify({ method: 'agent/run', params: { agentId: 'default' }, body: runInput({ threadId }) });
  const { socket } = await new Promise((resolve, reject) => {
    const req = http.request(stack.url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'text/event-stream' } }, (res) => {
      let text = '';
      res.on('data', (c) => {
        text += c;
        if (text.includes('" one"')) resolve({ socket: req.socket });
      });
    });
    req.on('error', () => {});
    req.on('close', () => reject(new Error('closed before the deltas arrived')));
    req.end(body);
  });
  const upstream = stack.mock.requests[upstreamIndex];
  const destroyedAt = performance.now();
  socket.destroy();
  const closedAt = await stack.mock.waitForClientClose(upstream, 2000);
  assert.ok(closedAt - destroyedAt < CANCEL_BUDGET_MS, `upstream closed ${(closedAt - destroyedAt).toFixed(1)} ms after the socket was destroyed`);
});

test('a second run on a busy thread gets RUN_ERROR THREAD_BUSY, which the client surfaces; the first run is unaffected', async () => {
  const a = await connectClient(stack.url);
  stack.mock.enqueue(MockGemini.text(['Busy', ' busy', ' busy.'], { delayMs: 80 }));
  const upstreamBefore = stack.mock.requests.length;
  const aEvents = recordEvents(a.agent);
  a.agent.addMessage({ id: 'u-busy-1', role: 'user', content: 'Take your time' });
  const runA = a.core.runAgent({ agent: a.agent });
  await waitFor(() => aEvents.some((e) => e.type === 'TEXT_MESSAGE_CONTENT'), { what: 'run A to stream' });

  const b = await connectClient(stack.url);
  b.agent.threadId = a.agent.threadId;
  const bEvents = recordEvents(b.agent);
  b.agent.addMessage({ id: 'u-busy-2', role: 'user', content: 'Me too' });
  await b.core.runAgent({ agent: b.agent });
  await runA;

  const err = bEvents.find((e) => e.type === 'RUN_ERROR');
  assert.ok(err, `B got a RUN_ERROR: ${types(bEvents)}`);
  assert.equal(err.code, 'THREAD_BUSY');
  assert.match(err.message, /already has a run in progress/);
  assert.equal(types(bEvents).at(-1), 'RUN_ERROR');
  const surfaced = b.errors.find((e) => e.code === 'agent_run_error_event');
  assert.ok(surfaced, `the client emitted onError: ${b.errors.map((e) => e.code)}`);
  assert.equal(surfaced.context.runtimeErrorCode, 'THREAD_BUSY');
  assert.equal(stack.mock.requests.length, upstreamBefore + 1, 'the refused run never reached the model');

  assert.equal(a.agent.messages.at(-1).content, 'Busy busy busy.');
  assert.deepEqual(a.errors, []);
});
